"""What the browser tests check on a phone's screen, and the screenshots they leave for a
person to look at: `out/screenshots/<name>-<width>.png` (out/ is not in git)."""
from __future__ import annotations

from local_stage import emulator

SCREENSHOTS = emulator.ROOT / "out" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TOUCH_TARGET, FIELD_TEXT = 44, 16  # px: Apple's and WCAG 2.5.5's target; iOS zooms into smaller text

# Everything a finger presses, and whether its text size counts. A check box or radio button is
# pressed through its label (clicking a label ticks its box), so the label's height is measured.
MEASURE = """([target, text]) => {
  const problems = [];
  const visible = e => { const box = e.getBoundingClientRect(); return box.width > 0 && box.height > 0; };
  const name = e => e.outerHTML.slice(0, 90);
  const pressed = 'button, input:not([type=hidden]), select, textarea, header nav a, a.button';
  for (const e of document.querySelectorAll(pressed)) {
    if (!visible(e)) continue;
    const box = e.matches('[type=checkbox], [type=radio]') ? (e.closest('label') || e) : e;
    const height = box.getBoundingClientRect().height;
    if (height < target - 0.01) problems.push(`${height.toFixed(1)} px high: ${name(box)}`);
    if (e.matches('input:not([type=checkbox]):not([type=radio]), select, textarea')) {
      const size = parseFloat(getComputedStyle(e).fontSize);
      if (size < text) problems.push(`text ${size} px: ${name(e)}`);
    }
  }
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth) {
    const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5);
    problems.push(`${width} px wide in a ${window.innerWidth} px window: ${wide.slice(-3).map(name).join(' | ')}`);
  }
  return problems;
}"""


def phone_problems(page) -> list[str]:
    """What keeps the page from working on a phone: sideways scrolling, a button, field or
    header link under 44 px high, text in a field under 16 px."""
    return page.evaluate(MEASURE, [TOUCH_TARGET, FIELD_TEXT])


def assert_fits_a_phone(page) -> None:
    problems = phone_problems(page)
    assert not problems, f"{page.url} on a phone:\n" + "\n".join(problems)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def shoot(page, name: str) -> None:
    """The whole page, as the window's width shows it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def shoot_both(page, name: str) -> None:
    """The page at a phone's width and a desktop's, the window left as it was."""
    was = page.viewport_size
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        shoot(page, name)
    page.set_viewport_size(was)


def show_mail(page, mail: dict, name: str) -> None:
    """A mail's HTML part in the page, screenshot as a mail program would show it."""
    page.set_content(mail["html"])
    shoot(page, name)
