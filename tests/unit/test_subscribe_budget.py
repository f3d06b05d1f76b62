"""The sending budget in one process: overall, private and group buckets, bursts, pauses and shares."""

from __future__ import annotations

from bot.chat.ratelimit import GROUP_BURST, OVERALL_BURST, OVERALL_PER_SECOND, chat_lane, telegram_limits
from bot.subscribe.budget import FairQueue, Lane, Limits, LocalBudget, Rate


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_times(budget: LocalBudget, clock: Clock, lanes: list[Lane]) -> list[float]:
    """When each message would leave, sent in this order by one sender that waits as told."""
    times = []
    for lane in lanes:
        while True:
            slot = budget.reserve_now(lane)
            if slot.taken:
                times.append(clock.now + slot.wait)
                break
            clock.now += slot.wait
    return times


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


def test_overall_burst_then_steady_rate_under_telegrams_30() -> None:
    clock = Clock()
    budget = LocalBudget(telegram_limits(), clock)
    times = send_times(budget, clock, [Lane(str(chat)) for chat in range(1, 101)])
    assert times[:OVERALL_BURST] == [clock.now - clock.now + 1000.0] * OVERALL_BURST  # at once
    gaps = [b - a for a, b in zip(times[OVERALL_BURST:], times[OVERALL_BURST + 1 :], strict=False)]
    assert min(gaps) > 1 / OVERALL_PER_SECOND - 1e-9
    assert most_in_window(times, 1.0) <= OVERALL_BURST + OVERALL_PER_SECOND < 31


def test_private_chat_one_a_second_group_never_over_20_in_a_minute() -> None:
    clock = Clock()
    budget = LocalBudget(telegram_limits(), clock)
    private = send_times(budget, clock, [Lane("7")] * 4)
    assert [round(t - private[0], 6) for t in private] == [0, 1, 2, 3]
    group = send_times(budget, clock, [Lane("-5", group=True)] * 45)
    assert most_in_window(group, 60.0) <= 20 and group[GROUP_BURST] - group[0] > 3.0


def test_a_chat_waiting_for_its_own_slot_does_not_hold_others_back() -> None:
    """A group due in 30 s reserves nothing overall meanwhile: other chats go at once."""
    clock = Clock()
    budget = LocalBudget(telegram_limits(), clock)
    group = Lane("-5", group=True)
    for _ in range(GROUP_BURST):
        assert budget.reserve_now(group).taken
    clock.now += 1.0
    slot = budget.reserve_now(group)
    assert not slot.taken and slot.wait > 1.0
    assert budget.reserve_now(Lane("8")).wait == 0.0


def test_a_pause_holds_its_chat_and_two_chats_refused_at_once_hold_every_chat() -> None:
    clock = Clock()
    budget = LocalBudget(telegram_limits(), clock)
    assert budget.pause_now(Lane("1"), 3.0) == "chat"
    assert budget.reserve_now(Lane("1")).wait == 3.0 and budget.reserve_now(Lane("2")).taken
    clock.now += 0.5
    assert budget.pause_now(Lane("2"), 3.0) == "all"  # a second chat within a second: the overall limit
    slot = budget.reserve_now(Lane("3"))
    assert not slot.taken and slot.wait == 3.0
    clock.now += 3.0
    assert budget.reserve_now(Lane("3")).taken
    clock.now += 5.0
    assert budget.pause_now(Lane("4"), 1.0) == "chat"  # long after: one chat again
    assert budget.pause_now(None, 1.0) == "all"  # no chat to blame: every chat


def test_a_share_of_the_budget_is_slower_in_every_bucket() -> None:
    limits = telegram_limits()
    third = limits.share(3)
    assert third.overall == Rate(OVERALL_PER_SECOND / 3, max(1, OVERALL_BURST // 3))
    assert third.private is not None and limits.private is not None
    assert third.private.per_second == limits.private.per_second / 3
    assert third.group is not None and limits.group is not None and third.group.burst == max(1, GROUP_BURST // 3)
    assert limits.share(1) is limits
    clock = Clock()
    times = send_times(LocalBudget(third, clock), clock, [Lane(str(c)) for c in range(100)])
    assert most_in_window(times, 1.0) <= 1 + OVERALL_PER_SECOND / 3 + 1


def test_no_bucket_means_no_wait() -> None:
    clock = Clock()
    budget = LocalBudget(Limits(overall=None, private=None, group=None), clock)
    assert {budget.reserve_now(Lane("1")).wait for _ in range(50)} == {0.0}


def test_lanes_of_telegram_chat_ids() -> None:
    assert chat_lane(42) == Lane("42") and chat_lane("42") == Lane("42")
    assert chat_lane(-100123) == Lane("-100123", group=True)
    assert chat_lane("@news") == Lane("@news", group=True) and chat_lane(None) is None


async def test_messages_to_one_chat_leave_in_the_order_they_were_queued() -> None:
    """A reply queued first leaves first, whatever the timers do when the chat's slot comes."""
    import asyncio

    queue = FairQueue(LocalBudget(Limits(overall=None, private=Rate(20.0), group=None)))
    order: list[int] = []

    async def send(n: int) -> None:
        await queue.take(Lane("7"))
        order.append(n)

    await asyncio.gather(*(send(n) for n in range(8)))
    assert order == list(range(8))
