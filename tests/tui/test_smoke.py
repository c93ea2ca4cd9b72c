from claude_watch.tui.tables import EventTable, ProjectsTable, SessionsTable

from .conftest import SIZE, ready, seed_samples, table_texts, wait_for


async def test_events_posted_over_http_appear(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.status.address.startswith("http://127.0.0.1:")
        n = await seed_samples(app)
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count == n)
        rows = table_texts(events)
        assert rows[0][3] == "SessionEnd"  # newest on top
        await wait_for(pilot, lambda: app.query_one(ProjectsTable).row_count == 3)
        projects = [r[0] for r in table_texts(app.query_one(ProjectsTable))]
        assert "webshop" in projects and "infra-tools" in projects
        await wait_for(pilot, lambda: app.query_one(SessionsTable).row_count == 3)
