"""``nl2br``: text shown as typed, its line breaks as <br>, nothing in it read as markup."""

from __future__ import annotations

from markupsafe import Markup

from shared.web.ui.templating import make_environment


def test_lines_become_br_and_markup_in_the_text_stays_text() -> None:
    template = make_environment().from_string("<div>{{ text|nl2br }}</div>")
    shown = template.render(text='Первая <script>alert("x")</script>\nвторая & "третья"\n\nконец')
    assert shown == (
        "<div>Первая &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;<br>"
        "вторая &amp; &#34;третья&#34;<br><br>конец</div>"
    )


def test_the_result_is_markup_and_is_not_escaped_twice() -> None:
    template = make_environment().from_string("{{ (text|nl2br) ~ '' }}|{{ text|nl2br|e }}")
    assert template.render(text="a<b\nc") == "a&lt;b<br>c|a&lt;b<br>c"
    nl2br = make_environment().filters["nl2br"]
    assert isinstance(nl2br("x\ny"), Markup)
