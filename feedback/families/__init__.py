"""Families: members, their ages, phones and who may be asked what. (Pure rules so far.)"""
