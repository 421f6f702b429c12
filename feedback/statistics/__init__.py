"""Statistics of change between two waves (issue 21): paired change, reliable change, proportions.

Pure functions over numbers: no Flask, no database. Every distribution and test comes from
scipy.stats or statsmodels (tested implementations); the code here only arranges inputs, handles
the edge cases (too few pairs, no spread) and names the results. Import the submodules directly:
``feedback.statistics.change``, ``feedback.statistics.reliable_change``,
``feedback.statistics.proportions``.
"""
