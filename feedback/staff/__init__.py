"""Staff: accounts and sign-in. (Roles and sites arrive with families and waves.)"""
