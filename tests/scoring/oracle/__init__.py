"""The scorer as it was before scores were computed in one streaming pass (main at ``f8a3ca3``),
kept as an oracle: every trace read whole into memory, each metric
and check computed by the plain code it was first written as (a scan of every task at every
event time, a search of the gold path for every call).

``tests/scoring/test_streaming_scores.py`` checks that ``simtool.scoring.score_trace`` gives
exactly this scorer's records on the reference traces. When a score's definition changes on
purpose, change it here the same way (the plainest form that is obviously right), or the test
fails; that is the point of it. Nothing outside that test imports this package.

The scorers the rewrite left as they were (the metrics table, pace, step counts and task
outcomes) are imported from ``simtool.scoring`` and run here over this package's history.
"""
