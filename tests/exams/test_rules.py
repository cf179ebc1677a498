"""The exam's pure rules: drawing and shuffling (checked statistically), scoring, and the course list's chip."""

import itertools
import math
import random
import secrets
import string
from collections import Counter
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning_credentials.exams import rules
from learning_credentials.exams.rules import (
    CERTIFICATE_NONE,
    CERTIFICATE_REVOKED,
    CERTIFICATE_VALID,
    CHIP_RULES,
    CTA,
    CertificationFacts,
    Chip,
    certification_chip,
    draw,
    passed,
    score_percent,
    shuffled,
)

CERTIFICATES = (CERTIFICATE_NONE, CERTIFICATE_VALID, CERTIFICATE_REVOKED)

# ---------------------------------------------------------------------------------------------
# Chi-square goodness of fit. At p = 1e-6 a correct sampler fails about once in a million runs.


def chi_square_critical(df: int, *, p: float = 1e-6) -> float:
    """The chi-square value exceeded with probability ``p``, by the Wilson-Hilferty approximation.

    scipy is not installed. Wilson-Hilferty: (X / df) ** (1/3) is nearly normal with mean
    1 - 2/(9 df) and variance 2/(9 df). For the degrees of freedom used here (23, 49, 149) the exact
    upper tail at the value it gives is 0.79e-6 to 0.95e-6: if anything the check is a little lenient.
    """
    h = 2 / (9 * df)
    z = NormalDist().inv_cdf(1 - p)
    return df * (1 - h + z * math.sqrt(h)) ** 3


POOL, SIZE, DRAWS = 150, 50, 6000  # each item expected in DRAWS * SIZE / POOL = 2000 draws


def selection_statistic(draws: list[list[int]]) -> float:
    """Chi-square (POOL - 1 df) of how often each item of range(POOL) was drawn.

    Draws without repetition make the counts less variable than a multinomial's (the items of one
    draw exclude each other), so Pearson's sum would be too lenient. Each count has variance
    n p (1 - p) and their covariance matrix is n p (1 - p) N / (N - 1) times the projection away
    from the all-ones vector (rank N - 1); dividing by that scale gives chi-square with N - 1 df.
    """
    counts = Counter(item for one in draws for item in one)
    p = SIZE / POOL
    expected = len(draws) * p
    scale = len(draws) * p * (1 - p) * POOL / (POOL - 1)
    return sum((counts[item] - expected) ** 2 for item in range(POOL)) / scale


def position_statistic(draws: list[list[int]], *, item: int = 0) -> float:
    """Pearson chi-square (SIZE - 1 df) of the positions at which ``item`` appears, when drawn."""
    positions = Counter(one.index(item) for one in draws if item in one)
    expected = sum(positions.values()) / SIZE
    return sum((positions[position] - expected) ** 2 / expected for position in range(SIZE))


def permutation_statistic(orders: list[list[int]], *, n: int = 4) -> float:
    """Pearson chi-square (n! - 1 df) of how often each order of range(n) came out."""
    counts = Counter(tuple(order) for order in orders)
    expected = len(orders) / math.factorial(n)
    return sum((counts[order] - expected) ** 2 / expected for order in itertools.permutations(range(n)))


@pytest.fixture(scope="module")
def secure_draws() -> list[list[int]]:
    """DRAWS draws from the default, cryptographically secure source: what production uses."""
    pool = list(range(POOL))
    return [draw(pool, size=SIZE) for _ in range(DRAWS)]


def test_each_item_of_the_pool_is_drawn_equally_often(secure_draws):
    assert selection_statistic(secure_draws) < chi_square_critical(POOL - 1)


def test_a_drawn_item_is_equally_likely_at_every_position(secure_draws):
    assert position_statistic(secure_draws) < chi_square_critical(SIZE - 1)


def test_every_order_of_four_items_is_equally_likely():
    orders = [shuffled(range(4)) for _ in range(24_000)]  # 1000 expected per order
    assert permutation_statistic(orders) < chi_square_critical(23)


def naive_shuffle(items, rng: random.Random) -> list:
    """The classic mistake: swap each place with any place (4**4 outcomes cannot spread over 24 orders)."""
    result = list(items)
    for i in range(len(result)):
        j = rng.randrange(len(result))
        result[i], result[j] = result[j], result[i]
    return result


@pytest.mark.parametrize(
    ("biased", "statistic", "df"),
    [
        pytest.param(lambda pool, rng: rng.sample(pool[:-1], SIZE), selection_statistic, POOL - 1, id="never-last"),
        pytest.param(lambda pool, rng: rng.sample(pool[:SIZE], SIZE), selection_statistic, POOL - 1, id="first-50"),
        pytest.param(lambda pool, rng: sorted(rng.sample(pool, SIZE)), position_statistic, SIZE - 1, id="sorted"),
        pytest.param(lambda pool, rng: naive_shuffle(range(4), rng), permutation_statistic, 23, id="naive-shuffle"),
    ],
)
def test_the_checks_catch_a_biased_sampler(biased, statistic, df):
    """The checks have power: each biased sampler fails them (seeded, so this never flakes)."""
    rng = random.Random(2026)
    pool = list(range(POOL))
    runs = 24_000 if statistic is permutation_statistic else DRAWS
    assert statistic([biased(pool, rng) for _ in range(runs)]) > chi_square_critical(df)


def even_df_upper_tail(x: float, df: int) -> float:
    """The exact chi-square upper tail for even ``df``: exp(-x/2) * sum of (x/2)**i / i! for i < df/2."""
    term = total = 1.0
    for i in range(1, df // 2):
        term *= x / 2 / i
        total += term
    return math.exp(-x / 2) * total


@pytest.mark.parametrize("df", [24, 50, 150])
def test_the_critical_value_is_right_at_p_one_in_a_million(df):
    """Next to the degrees of freedom used above, Wilson-Hilferty's value has a tail just under 1e-6."""
    assert 0.7e-6 < even_df_upper_tail(chi_square_critical(df), df) <= 1e-6


# ---------------------------------------------------------------------------------------------
# draw and shuffled


@given(data=st.data(), pool_size=st.integers(1, 200), rng=st.randoms(use_true_random=False))
def test_draw_gives_size_distinct_items_of_the_pool(data, pool_size, rng):
    size = data.draw(st.integers(1, pool_size))
    drawn = draw(list(range(pool_size)), size=size, rng=rng)
    assert len(drawn) == size
    assert len(set(drawn)) == size
    assert set(drawn) <= set(range(pool_size))


def test_draw_from_the_secure_source_gives_distinct_items():
    drawn = draw([f"q{number}" for number in range(150)], size=50)
    assert len(set(drawn)) == 50


@pytest.mark.parametrize(
    ("pool_size", "size", "message"),
    [
        (49, 50, "Cannot draw 50 different questions from a pool of 49"),
        (0, 1, "from a pool of 0"),
        (10, 0, "at least one question; 0 were asked for"),
        (10, -1, "at least one question"),
    ],
)
def test_draw_refuses_an_impossible_size_in_words(pool_size, size, message):
    with pytest.raises(ValueError, match=message):
        draw(list(range(pool_size)), size=size)


def test_a_seeded_source_reproduces_the_draw_and_the_order():
    pool = list(range(150))
    assert draw(pool, size=50, rng=random.Random(7)) == draw(pool, size=50, rng=random.Random(7))
    assert draw(pool, size=50, rng=random.Random(7)) != draw(pool, size=50, rng=random.Random(8))
    assert shuffled(pool, rng=random.Random(7)) == shuffled(pool, rng=random.Random(7))


def test_draw_of_the_whole_pool_is_a_permutation():
    assert sorted(draw(range(20), size=20)) == list(range(20))


def test_shuffled_returns_a_new_list_and_leaves_the_input_alone():
    items = ["A", "B", "C", "D"]
    result = shuffled(items)
    assert result is not items
    assert sorted(result) == items == ["A", "B", "C", "D"]
    assert shuffled([]) == []


def test_without_a_source_both_use_the_operating_systems(monkeypatch):
    assert isinstance(rules._SECURE_RANDOM, secrets.SystemRandom)
    monkeypatch.setattr(rules, "_SECURE_RANDOM", random.Random(3))
    assert draw(range(100), size=10) == random.Random(3).sample(range(100), 10)
    monkeypatch.setattr(rules, "_SECURE_RANDOM", random.Random(3))
    assert shuffled(range(10)) == shuffled(range(10), rng=random.Random(3))


# ---------------------------------------------------------------------------------------------
# score_percent and passed


@pytest.mark.parametrize(
    ("correct", "size", "score"),
    [(29, 50, 58), (5, 8, 63), (25, 50, 50), (26, 50, 52), (0, 50, 0), (50, 50, 100), (1, 3, 33), (2, 3, 67)],
)
def test_score_percent_rounds_halves_up(correct, size, score):
    assert score_percent(correct=correct, size=size) == score


@given(data=st.data(), size=st.integers(1, 200))
def test_score_percent_is_decimal_round_half_up(data, size):
    correct = data.draw(st.integers(0, size))
    exact = (Decimal(100 * correct) / Decimal(size)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert score_percent(correct=correct, size=size) == int(exact)


def test_score_percent_is_decimal_round_half_up_for_every_count():
    """Exhaustive too: random sizes seldom hit an exact half, where round() (half to even) would differ."""
    for size in range(1, 201):
        for correct in range(size + 1):
            exact = (Decimal(100 * correct) / Decimal(size)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            assert score_percent(correct=correct, size=size) == int(exact), (correct, size)


@pytest.mark.parametrize(
    ("correct", "size", "message"),
    [(0, 0, "at least one question, not 0"), (-1, 50, "between 0 and 50, not -1"), (51, 50, "not 51")],
)
def test_score_percent_refuses_impossible_counts(correct, size, message):
    with pytest.raises(ValueError, match=message):
        score_percent(correct=correct, size=size)


def test_the_pass_mark_itself_fails():
    assert not passed(score=50, pass_mark=50)
    assert passed(score=51, pass_mark=50)
    assert not passed(score=0, pass_mark=50)


# ---------------------------------------------------------------------------------------------
# certification_chip


def facts(**changes) -> CertificationFacts:
    """An entitled learner who completed a course that offers certification, before any exam."""
    base = CertificationFacts(
        completed=True, configured=True, available=True, entitled=True, certificate=CERTIFICATE_NONE, score=None
    )
    return replace(base, **changes)


UNAVAILABLE_HELPER = "Certification unavailable. Contact the course creator."


@pytest.mark.parametrize(
    ("given_facts", "chip", "cta", "helper"),
    [
        (facts(completed=False, score=80, certificate=CERTIFICATE_VALID), Chip.IN_PROGRESS, None, ""),
        (facts(configured=False, available=False), Chip.COMPLETED, None, ""),
        (
            facts(certificate=CERTIFICATE_VALID, score=58),
            Chip.CERTIFIED,
            CTA.VIEW_CERTIFICATE,
            "Most recent score: 58%.",
        ),
        (facts(certificate=CERTIFICATE_VALID), Chip.CERTIFIED, CTA.VIEW_CERTIFICATE, ""),
        (facts(available=False), Chip.UNAVAILABLE, None, UNAVAILABLE_HELPER),
        (facts(entitled=False), Chip.AVAILABLE, CTA.GET_CERTIFICATE, ""),
        (facts(certificate=CERTIFICATE_REVOKED, score=44), Chip.REVOKED, CTA.START_EXAM, "Most recent score: 44%."),
        (facts(), Chip.UNLOCKED, CTA.START_EXAM, ""),
        (facts(score=40), Chip.UNLOCKED, CTA.START_EXAM, "Most recent score: 40%."),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_row_of_the_table(given_facts, chip, cta, helper):
    state = certification_chip(given_facts)
    assert (state.chip, state.cta, state.helper) == (chip, cta, helper)


def test_the_english_words_are_seed_004s():
    assert [chip.label for chip in Chip] == [
        "In progress",
        "Completed",
        "Completed, certificate available",
        "Certification unlocked",
        "Certified",
        "Certification unavailable",
        "Certification revoked",
    ]
    assert [cta.label for cta in CTA] == ["Get certificate", "Start final exam", "View certificate"]
    assert Chip("certified").label == "Certified"


def test_the_rules_as_data_cover_every_chip_once():
    assert [chip for _text, chip, _cta in CHIP_RULES] == [
        Chip.IN_PROGRESS,
        Chip.COMPLETED,
        Chip.CERTIFIED,
        Chip.UNAVAILABLE,
        Chip.AVAILABLE,
        Chip.REVOKED,
        Chip.UNLOCKED,
    ]
    assert all(text for text, _chip, _cta in CHIP_RULES)


def expected_chip(given: CertificationFacts) -> Chip:
    """The table of the brief, read independently of the module."""
    if not given.completed:
        return Chip.IN_PROGRESS
    if not given.configured:
        return Chip.COMPLETED
    if given.certificate == CERTIFICATE_VALID:
        return Chip.CERTIFIED
    if not given.available:
        return Chip.UNAVAILABLE
    if not given.entitled:
        return Chip.AVAILABLE
    return Chip.REVOKED if given.certificate == CERTIFICATE_REVOKED else Chip.UNLOCKED


CTA_OF = {chip: cta for _text, chip, cta in CHIP_RULES}
SCORE_CHIPS = {Chip.CERTIFIED, Chip.REVOKED, Chip.UNLOCKED}


def check_state(given_facts: CertificationFacts) -> Chip:
    """What holds for every input: one chip of the table, its CTA (at most one), the right helper."""
    state = certification_chip(given_facts)
    assert state.chip == expected_chip(given_facts)
    assert state.chip in Chip.values
    assert state.cta == CTA_OF[state.chip]
    assert state.cta is None or state.cta in CTA.values
    if state.chip == Chip.UNAVAILABLE:
        assert state.helper == UNAVAILABLE_HELPER
    elif state.chip in SCORE_CHIPS and given_facts.score is not None:
        assert state.helper == f"Most recent score: {given_facts.score}%."
    else:
        assert state.helper == ""
    return state.chip


def test_every_combination_of_inputs():
    seen = set()
    for completed, configured, available, entitled in itertools.product((False, True), repeat=4):
        for certificate, score in itertools.product(CERTIFICATES, (None, 0, 50, 51, 100)):
            given_facts = CertificationFacts(
                completed=completed,
                configured=configured,
                available=available,
                entitled=entitled,
                certificate=certificate,
                score=score,
            )
            chip = check_state(given_facts)
            seen.add(chip)
            if not completed:
                assert chip == Chip.IN_PROGRESS
            elif configured and certificate == CERTIFICATE_VALID:
                assert chip == Chip.CERTIFIED  # whatever availability, entitlement or score say
    assert seen == set(Chip)


def test_a_first_failed_attempt_reads_unlocked_not_revoked():
    assert certification_chip(facts(certificate=CERTIFICATE_NONE, score=40)).chip == Chip.UNLOCKED


def test_a_certified_learner_stays_certified_when_certification_is_withdrawn():
    state = certification_chip(facts(certificate=CERTIFICATE_VALID, available=False, entitled=False, score=90))
    assert (state.chip, state.cta) == (Chip.CERTIFIED, CTA.VIEW_CERTIFICATE)


any_facts = st.builds(
    CertificationFacts,
    completed=st.booleans(),
    configured=st.booleans(),
    available=st.booleans(),
    entitled=st.booleans(),
    certificate=st.sampled_from(CERTIFICATES),
    score=st.none() | st.integers(0, 100),
)


@given(given_facts=any_facts, other_score=st.none() | st.integers(0, 100))
def test_the_chip_follows_the_table_and_the_score_only_shows(given_facts, other_score):
    """The chip and CTA come from the certificate's state; the score only changes the helper."""
    check_state(given_facts)
    before, after = certification_chip(given_facts), certification_chip(replace(given_facts, score=other_score))
    assert (before.chip, before.cta) == (after.chip, after.cta)


# A fixed alphabet: st.text() of all Unicode builds a character map on first use (seconds).
@given(
    certificate=(st.sampled_from(["", "Valid", " valid", "invalidated"]) | st.text(alphabet=string.printable)).filter(
        lambda text: text not in CERTIFICATES
    )
)
def test_an_unknown_certificate_state_is_refused(certificate):
    with pytest.raises(ValueError, match="certificate must be one of none, valid, revoked"):
        facts(certificate=certificate)


@given(score=st.integers(max_value=-1) | st.integers(min_value=101))
def test_a_score_outside_0_to_100_is_refused(score):
    with pytest.raises(ValueError, match="score must be a percentage from 0 to 100"):
        facts(score=score)
