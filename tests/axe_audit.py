"""axe-core in Chromium: the WCAG 2.x A and AA rules run on an open page (helper of tests/test_accessibility.py and
tests/test_hub.py).

axe-core comes from the npm registry (``make axe`` puts it in ``.axe/``); it is injected into the page as it is, and
its result is read back. A serious or critical violation is a failure; each is told by its rule, the element and what
axe says is wrong.
"""

from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("serious", "critical")


def violations(page) -> list[str]:
    """The serious and critical violations of WCAG 2.x A/AA on ``page`` as it is now, one line per element."""
    assert AXE.is_file(), "axe-core is installed by `make setup` (make axe)"
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' '))}));
    }""", WCAG_AA)
    return [f"{v['id']} ({v['impact']}) {node}" for v in found if v["impact"] in FAILING for node in v["nodes"]]


def set_colour_mode(context, mode: str) -> None:
    """Open every page of ``context`` in the book theme's ``light`` or ``dark`` mode (as the theme switch stores it)."""
    context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
