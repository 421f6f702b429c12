"""Waves: schedules, invitations and their dispatch. (Scheduling arithmetic so far.)"""
