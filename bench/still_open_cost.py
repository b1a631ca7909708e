"""The still-open check's share of render (``still_open_topic``, which detects the situation
of the customer's earlier messages): N realistic drafts of ``bench/mailgen.py`` (default
2,000), (a) as in the burst (no thread: the burst's mails never follow a reply of ours), (b)
every draft a message after our reply with 1 and with 3 earlier messages (the previous mails'
texts), each with the check as it is and stubbed to ''. CPU seconds (``time.process_time``),
fastest of 3 rounds, and the load average. Prints only; docs/benchmarks.md has the figures
("The still-open check").

Usage: ``python bench/still_open_cost.py [N]``.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.mailgen import mails


def main() -> None:
    """Measure and print."""
    from classifiers.language import LanguageDetector
    from triage.drafting import render as render_module
    from triage.drafting.render import DraftRequest, Renderer
    from triage.drafting.situations import ThreadFacts
    from triage.mail.parse import parse_email
    from triage.models import CATEGORIES

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    now = datetime(2026, 11, 20, tzinfo=UTC)
    parsed = [parse_email(r, fallback_received=now) for r in mails("realistic", n)]
    langs = LanguageDetector().detect([f"{p.subject}\n{p.text}" for p in parsed])
    renderer = Renderer(customer_timezone="Asia/Singapore")
    due = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    real = render_module.still_open_topic
    calls = [0]

    def counted(*args: Any, **kwargs: Any) -> str | None:
        calls[0] += 1
        return real(*args, **kwargs)

    def requests(k: int) -> list[DraftRequest]:
        out = []
        for i, (p, lang) in enumerate(zip(parsed, langs, strict=True)):
            earlier = tuple(parsed[(i - j) % n].text for j in range(k, 0, -1))
            out.append(DraftRequest(
                category=CATEGORIES[i % len(CATEGORIES)], channel="email", language=lang,
                subject=p.subject, text=p.text, sender=p.sender, sender_name=p.sender_name,
                thread_id=1000 + i, due_at=due + timedelta(minutes=i),
                thread=ThreadFacts(replied_before=True, earlier=earlier) if k else ThreadFacts(),
                attachment_types=tuple(a.content_type for a in p.attachments)))
        return out

    def fastest(reqs: list[DraftRequest]) -> tuple[float, list[Any]]:
        times, drafts = [], []
        for _ in range(3):
            t = time.process_time()
            drafts = [renderer.render(r) for r in reqs]
            times.append(time.process_time() - t)
        return min(times), drafts

    print("load average", os.getloadavg())
    for k in (0, 1, 3):
        reqs = requests(k)
        calls[0] = 0
        render_module.still_open_topic = counted  # type: ignore[assignment]
        with_check, drafts = fastest(reqs)
        render_module.still_open_topic = lambda *a, **kw: None  # type: ignore[assignment]
        without, _ = fastest(reqs)
        render_module.still_open_topic = real
        still = sum(d.situation == "still_open" for d in drafts)
        print(f"earlier messages {k}: render {with_check:.2f} CPU s, {without:.2f} with the "
              f"check stubbed: +{with_check - without:.2f} s "
              f"({(with_check - without) / without:.1%}); checks {calls[0] // 3}, "
              f"still_open drafts {still} of {n}")
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()
