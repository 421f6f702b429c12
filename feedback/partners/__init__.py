"""Partner agencies (schools, health visitors, police, housing, social care…) and the contacts in
them who are surveyed about the service each year."""
