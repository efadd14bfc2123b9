"""Reads for the dashboards and reports (SPEC §1, §5, §7), scoped to the user, one module per page.

Every selector issues a fixed number of queries whatever the county's size: counts per
round come from the stored aggregates dashboards.stats keeps, lists are paged by key or
by ids chosen first, and nothing looks up "the latest rating" row by row (README, "Performance").
"""

from .common import (
    HONOUR_PAGE_SIZE,
    LEAGUE_PAGE_SIZE,
    LOCAL,
    NOT_SUBMITTED,
    TOWNSHIPS_PER_PAGE,
    VILLAGES_PER_PAGE,
    Completeness,
    Pending,
    StarRow,
    Trend,
    five_star_target,
    landing_url,
    star_headers,
    star_row,
)
from .league import League, LeagueRow, league_table, parse_league_key
from .overview import (
    Dashboard,
    TownshipLine,
    county_dashboard,
    county_panels,
    township_dashboard,
)
from .reports import (
    DriftLine,
    HonourLine,
    HonourRoll,
    SummaryTable,
    TownshipSummary,
    VillageLine,
    assessor_drift,
    honour_roll,
    model_villages,
    parse_honour_key,
    summary_years,
    township_summaries,
)
from .settlement import (
    AreaPoints,
    HistoryPoint,
    SettlementCharts,
    SettlementHistory,
    settlement_charts,
    settlement_history,
)

__all__ = [
    "HONOUR_PAGE_SIZE",
    "LEAGUE_PAGE_SIZE",
    "LOCAL",
    "NOT_SUBMITTED",
    "TOWNSHIPS_PER_PAGE",
    "VILLAGES_PER_PAGE",
    "AreaPoints",
    "Completeness",
    "Dashboard",
    "DriftLine",
    "HistoryPoint",
    "HonourLine",
    "HonourRoll",
    "League",
    "LeagueRow",
    "Pending",
    "SettlementCharts",
    "SettlementHistory",
    "StarRow",
    "SummaryTable",
    "TownshipLine",
    "TownshipSummary",
    "Trend",
    "VillageLine",
    "assessor_drift",
    "county_dashboard",
    "county_panels",
    "five_star_target",
    "honour_roll",
    "landing_url",
    "league_table",
    "model_villages",
    "parse_honour_key",
    "parse_league_key",
    "settlement_charts",
    "settlement_history",
    "star_headers",
    "star_row",
    "summary_years",
    "township_dashboard",
    "township_summaries",
]
