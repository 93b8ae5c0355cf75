"""The time one URL may spend in requests over all its attempts: one attempt's worth, so a slow site costs at most
that per URL however often it is retried. Waiting between attempts (backoff, Retry-After) is not counted."""

USED_UP_SHARE = 0.01  # with less than this share of the budget left, no further attempt is worth making


class TimeBudget:
    def __init__(self, total_s: float) -> None:
        self.total_s = total_s
        self.used_s = 0.0
        self.spent = False  # True once an attempt ran into the budget's end: no time is left for another

    @property
    def left_s(self) -> float:
        return max(0.0, self.total_s - self.used_s)

    def use(self, seconds: float, ran_out: bool) -> None:
        """Count one attempt's time; `ran_out` says the attempt was cut at the end of the budget."""
        self.used_s += seconds
        self.spent = self.spent or ran_out or self.left_s < USED_UP_SHARE * self.total_s
