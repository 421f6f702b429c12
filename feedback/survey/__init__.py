"""Survey: the respondent's web flow and the interviewer mode, over stored responses."""
