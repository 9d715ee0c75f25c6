"""The contract's calls, end to end: list AI-tagged events since April 20, open the first, acknowledge
it with a note, export the period as CSV, and walk every page of the listing.

    NOVAVMS_API_KEY=sk_live_... NOVAVMS_BASE_URL=https://events.example.com python quickstart.py
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

import novavms


def main() -> None:
    with novavms.Client() as client:  # NOVAVMS_API_KEY and NOVAVMS_BASE_URL from the environment
        page = client.events.list(trigger_type="ai_tag", date_from="2026-04-20")
        print(f"{page.total} AI-tagged events since 2026-04-20; this page has {len(page.data)}")
        if not page.data:
            return
        event = client.events.get(page.data[0].id)
        print(event.camera_name, event.triggered_at.isoformat(), event.summary, event.clip_url)
        try:
            event = client.events.update(event.id, acknowledged=True, notes="Confirmed courier")
            print("acknowledged by", event.acknowledged_by, "at", event.acknowledged_at)
        except novavms.PermissionDeniedError as error:
            print("this key cannot acknowledge:", error.message)
        try:
            csv_bytes = client.events.export(date_from=date(2026, 4, 20), date_to="2026-04-21")
            print(csv_bytes.decode("utf-8").splitlines()[0])
        except novavms.PermissionDeniedError as error:
            print("this key cannot export:", error.message)
        since = datetime(2026, 4, 1, tzinfo=timezone.utc)
        count = sum(1 for _ in client.events.list(date_from=since, limit=100))  # every page
        print(f"{count} events since {since:%Y-%m-%d}")


async def main_async() -> None:
    async with novavms.AsyncClient() as client:
        events = client.events.list(trigger_type="ai_tag", limit=50)
        starred = [event.id async for event in events if event.starred]  # every page
        print(f"{len(starred)} starred AI-tagged events")


if __name__ == "__main__":
    main()
    asyncio.run(main_async())
