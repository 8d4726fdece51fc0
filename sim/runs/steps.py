"""P(in force) of each measure as a step function, exact on every day, from a run's event log (for charts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.timeline import IN_FORCE, SUSPENDED
from sim.scenario.calendar import day_to_date
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd


def in_force_steps(s: Scenario, events: pd.DataFrame, n: int) -> pd.DataFrame:
    """P(in force) per measure on the window start and on every day it changes, from the log's switches.

    A measure's log has ``in force`` and ``suspended`` lines that alternate (one per switch), so each adds one
    replication to, or takes one from, the count in force from that day; two switches on one day cancel, as
    the state at the end of the day is the one that counts (as in ``in_force.csv``).
    """
    import pandas as pd

    start = pd.Timestamp(day_to_date(s.start_day))
    what = events["what"].astype(str)
    sign = np.where(what == IN_FORCE, 1, np.where(what == SUSPENDED, -1, 0))
    subject = events["subject"].astype(str)
    frames = []
    for m in s.measures:
        mine = (subject == m.id).to_numpy() & (sign != 0)
        delta = pd.Series(sign[mine]).groupby(events["date"].to_numpy()[mine]).sum()
        delta = delta[delta != 0]
        count = delta.cumsum()
        dates = pd.DatetimeIndex([start]).append(pd.DatetimeIndex(count.index))
        values = np.concatenate([[0], count.to_numpy()]) / n
        frame = pd.DataFrame({"measure": m.id, "date": dates, "probability": values})
        frames.append(frame.drop_duplicates("date", keep="last"))
    columns = ["measure", "date", "probability"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
