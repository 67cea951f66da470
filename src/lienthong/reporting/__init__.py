"""Government reporting under Decree 09/2019/NĐ-CP: regimes, periods, deadlines, submissions,
consolidation and timeliness."""
