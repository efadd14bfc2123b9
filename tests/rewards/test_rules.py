"""SPEC §6 as pure functions: the worked examples, the rounding, and the properties."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards import rules

SPEC_AMOUNTS = {3: D("10000"), 4: D("20000"), 5: D("30000")}


@pytest.mark.parametrize(
    ("stars", "due", "total"),
    [
        ((3, 3, 3, 3), ("4000", "3000", "0", "3000"), "10000"),
        ((3, 4, 4, 5), ("4000", "10000", "0", "16000"), "30000"),
        ((4, 3, 3, 4), ("8000", "3000", "0", "9000"), "20000"),
        ((0, 0, 5, 5), ("0", "0", "12000", "9000"), "21000"),
        ((5, 5, 5, 0), ("12000", "9000", "0", "0"), "21000"),
    ],
)
def test_spec_worked_examples(stars, due, total):
    result = rules.yearly_payments(SPEC_AMOUNTS, stars)
    assert result == [D(x) for x in due]
    assert sum(result) == D(total)
    assert all(isinstance(x, D) and x.as_tuple().exponent == -2 for x in result)


def test_yearly_payments_after_each_round_so_far():
    assert rules.yearly_payments(SPEC_AMOUNTS, [3]) == [D("4000.00")]
    assert rules.yearly_payments(SPEC_AMOUNTS, [3, 4]) == [D("4000.00"), D("10000.00")]


def test_row_two_breakdown_tops_up_the_earlier_tranches():
    rows = rules.payment_breakdown(SPEC_AMOUNTS, [3, 4, 4, 5])
    assert [(r.round_index, r.kind, r.tranche, r.star_basis, r.amount) for r in rows] == [
        (0, "initial", "initial", 3, D("4000.00")),
        (1, "top_up", "initial", 4, D("4000.00")),
        (1, "re", "re", 4, D("6000.00")),
        (3, "top_up", "initial", 5, D("4000.00")),
        (3, "top_up", "re", 5, D("3000.00")),
        (3, "final", "final", 5, D("9000.00")),
    ]


def test_row_three_tops_up_only_the_re_rating_tranche():
    rows = rules.payment_breakdown(SPEC_AMOUNTS, [4, 3, 3, 4])
    assert [(r.round_index, r.kind, r.tranche, r.amount) for r in rows] == [
        (0, "initial", "initial", D("8000.00")),
        (1, "re", "re", D("3000.00")),
        (3, "top_up", "re", D("3000.00")),
        (3, "final", "final", D("6000.00")),
    ]


def test_first_star_at_q2_earns_initial_and_re_rating_together():
    assert rules.yearly_payments(SPEC_AMOUNTS, [0, 3, 3, 3]) == [D(0), D("7000"), D(0), D("3000")]


def test_first_star_at_q4_earns_initial_and_final():
    assert rules.yearly_payments(SPEC_AMOUNTS, [0, 0, 0, 5]) == [D(0), D(0), D(0), D("21000")]


def test_q3_rise_tops_up_without_a_tranche_of_its_own():
    rows = rules.payment_breakdown(SPEC_AMOUNTS, [3, 3, 5])
    assert [(r.round_index, r.kind, r.tranche, r.amount) for r in rows[-2:]] == [
        (2, "top_up", "initial", D("8000.00")),
        (2, "top_up", "re", D("6000.00")),
    ]


def test_a_star_lost_at_q2_loses_the_re_rating_tranche_for_good():
    assert rules.yearly_payments(SPEC_AMOUNTS, [5, 0, 5, 5]) == [D("12000"), D(0), D(0), D("9000")]


def test_fall_then_rise_pays_later_tranches_at_the_lower_star_and_never_claws_back():
    # Q2 at 3★ owes the initial tranche only 4,000 of the 12,000 paid: nothing back.
    assert rules.yearly_payments(SPEC_AMOUNTS, [5, 3, 3, 4]) == [
        D("12000"),
        D("3000"),
        D(0),
        D("9000"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {3: D("10000"), 4: D("20000")},
        {3: D("-1"), 4: D("20000"), 5: D("30000")},
        {3: D("10000.005"), 4: D("20000"), 5: D("30000")},
        {3: D("10000"), 4: D("30000"), 5: D("20000")},
    ],
)
def test_unusable_amounts_are_refused(bad):
    with pytest.raises(rules.AmountsInvalid):
        rules.yearly_payments(bad, [3])


@pytest.mark.parametrize("stars", [[], [3, 3, 3, 3, 3], [2], [6]])
def test_path_must_be_one_to_four_star_levels(stars):
    with pytest.raises(ValueError):
        rules.yearly_payments(SPEC_AMOUNTS, stars)


def test_tranches_of_an_odd_amount_sum_to_it_exactly():
    amount = D("10000.01")
    parts = [rules.tranche_portion(t, amount) for t in rules.TRANCHES]
    assert parts == [D("4000.00"), D("3000.01"), D("3000.00")]
    assert sum(parts) == amount
    odd = {3: D("10000.01"), 4: D("20000.03"), 5: D("30000.07")}
    assert sum(rules.yearly_payments(odd, [3, 3, 3, 3])) == D("10000.01")
    assert sum(rules.yearly_payments(odd, [3, 4, 4, 5])) == D("30000.07")


# ------------------------------------------------------------------------------ properties

fen_amounts = st.integers(min_value=0, max_value=10**9).map(lambda fen: D(fen) / 100)


@st.composite
def schedules(draw):
    a3, a4, a5 = sorted(draw(st.lists(fen_amounts, min_size=3, max_size=3)))
    return {3: a3, 4: a4, 5: a5}


paths = st.lists(st.sampled_from(rules.STAR_VALUES), min_size=1, max_size=4)


def earned(stars):
    out = set()
    if any(stars):
        out.add("initial")
    if len(stars) >= 2 and stars[1]:
        out.add("re")
    if len(stars) == 4 and stars[3]:
        out.add("final")
    return out


@given(schedules(), paths)
def test_never_negative_and_always_whole_fen(amounts, stars):
    for due in rules.yearly_payments(amounts, stars):
        assert due >= 0
        assert due == due.quantize(D("0.01"))


@given(schedules(), paths)
def test_year_total_never_exceeds_the_highest_star_reached(amounts, stars):
    top = max(stars)
    assert sum(rules.yearly_payments(amounts, stars)) <= (amounts[top] if top else 0)


@given(schedules(), paths)
def test_rows_add_up_to_the_amounts_due(amounts, stars):
    due = rules.yearly_payments(amounts, stars)
    rows = rules.payment_breakdown(amounts, stars)
    assert sum(r.amount for r in rows) == sum(due)
    tranches = [r.tranche for r in rows if r.kind != "top_up"]
    assert len(tranches) == len(set(tranches))  # each tranche earned once
    assert set(tranches) == earned(stars)
    for position, r in enumerate(rows):
        if r.kind == "top_up":  # a top-up only completes a tranche already earned
            assert r.tranche in [x.tranche for x in rows[:position] if x.kind != "top_up"]


@given(
    schedules(), st.lists(st.sampled_from(rules.STAR_VALUES), min_size=1, max_size=4).map(sorted)
)
def test_rising_path_totals_the_final_star_amount_times_the_shares_earned(amounts, stars):
    total = sum(rules.yearly_payments(amounts, stars))
    final_amount = amounts[stars[-1]] if stars[-1] else D(0)
    shares = sum((rules.SHARES[t] for t in earned(stars)), D(0))
    assert total == sum((rules.tranche_portion(t, final_amount) for t in earned(stars)), D(0))
    # Rounded per tranche, the total is within a fen of the exact share; exact when all are earned.
    assert abs(total - final_amount * shares) < D("0.01")
    if shares == 1:
        assert total == final_amount


@given(fen_amounts)
def test_rounding_never_loses_or_invents_a_fen(amount):
    parts = [rules.tranche_portion(t, amount) for t in rules.TRANCHES]
    assert sum(parts) == amount
    for tranche, part in zip(rules.TRANCHES, parts, strict=True):
        assert part >= 0
        assert abs(part - amount * rules.SHARES[tranche]) < D("0.01")


@given(schedules(), paths)
def test_reconciling_against_the_rows_already_written_proposes_nothing(amounts, stars):
    rows = rules.payment_breakdown(amounts, stars)
    ledger: dict[str, D] = {}
    for r in rows:
        ledger[r.tranche] = ledger.get(r.tranche, D(0)) + r.amount
    assert rules.proposals(rows, ledger_paid=ledger) == []


@given(schedules(), paths)
def test_catching_up_from_an_empty_ledger_proposes_the_year_total(amounts, stars):
    rows = rules.payment_breakdown(amounts, stars)
    proposed = rules.proposals(rows, ledger_paid={})
    assert sum(p.amount for p in proposed) == sum(r.amount for r in rows)
    assert all(p.amount > 0 for p in proposed if p.kind == "top_up")


def test_proposals_after_a_retroactive_fall_leave_the_ledger_alone():
    # The Q1 rating was 5★ (12,000 proposed) and is later revoked: nothing is added or taken.
    rows = rules.payment_breakdown(SPEC_AMOUNTS, [0])
    assert rules.proposals(rows, ledger_paid={"initial": D("12000")}) == []
    # ...and when Q2 then rates 4★ only the re-rating tranche is new.
    rows = rules.payment_breakdown(SPEC_AMOUNTS, [0, 4])
    assert rules.proposals(rows, ledger_paid={"initial": D("12000")}) == [
        rules.Proposal("re", "re", 1, 4, D("6000.00"))
    ]


def test_proposal_of_a_top_up_a_round_already_made_is_a_conflict():
    rows = rules.payment_breakdown(SPEC_AMOUNTS, [3, 5])
    with pytest.raises(rules.LedgerConflict):
        rules.proposals(
            rows,
            ledger_paid={"initial": D("4000"), "re": D("9000")},
            topped_up_rounds={"initial": {1}},
        )


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.55", "伍角伍分"),
        ("1.05", "壹元零伍分"),
        ("10", "壹拾元整"),
        ("10000", "壹万元整"),
        ("10005", "壹万零伍元整"),
        ("12000.50", "壹万贰仟元伍角整"),
        ("30000.10", "叁万元壹角整"),
        ("100500", "壹拾万零伍佰元整"),
        ("1000000", "壹佰万元整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("10001000", "壹仟万壹仟元整"),
        ("100000001", "壹亿零壹元整"),
        ("5000000.00", "伍佰万元整"),
    ],
)
def test_amount_in_chinese_capitals(amount, capitals):
    assert rules.amount_in_chinese_capitals(D(amount)) == capitals


@pytest.mark.parametrize("bad", ["-1", "0.001"])
def test_capitals_refuse_negative_or_sub_fen_amounts(bad):
    with pytest.raises(ValueError):
        rules.amount_in_chinese_capitals(D(bad))


@pytest.mark.parametrize(
    ("budget", "committed", "state"),
    [
        ("5000000", "0", "ok"),
        ("5000000", "4499999.99", "ok"),
        ("5000000", "4500000", "near"),
        ("5000000", "5000000", "near"),
        ("5000000", "5000000.01", "over"),
        ("0", "0", "ok"),
        ("0", "0.01", "over"),
    ],
)
def test_budget_warns_before_it_is_exceeded(budget, committed, state):
    assert rules.budget_state(budget=D(budget), committed=D(committed)) == state


def test_budget_share_percent_for_the_bar():
    assert rules.budget_share_percent(budget=D("5000000"), committed=D("1250000")) == D("25.0")
    assert rules.budget_share_percent(budget=D("3"), committed=D("1")) == D("33.3")
    assert rules.budget_share_percent(budget=D("100"), committed=D("250")) == D("100")
    assert rules.budget_share_percent(budget=D("0"), committed=D("0")) == D("0.0")
