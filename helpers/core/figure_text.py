"""A figure's text alternative, written from its own text (what :func:`helpers.core.plots.save_figure` gives each
figure in a notebook, and the HTML report gives to screen readers)."""
from __future__ import annotations

import matplotlib.pyplot as plt


def describe(fig: plt.Figure) -> str:
    """A text alternative for ``fig`` from its own text: the title, then the panels (an image grid's columns and
    rows; a plot's title, axes and legend), each legend named once."""
    def clean(text: str) -> str:
        return " ".join(text.split())

    def kept(ax: plt.Axes) -> bool:
        return ax.get_visible() and ax.get_label() != "<colorbar>" and bool(
            ax.axison or ax.get_title() or ax.get_ylabel() or ax.images)

    def place(ax: plt.Axes) -> tuple[float, ...]:
        return tuple(round(v, 4) for v in ax.get_position().bounds)

    main, twins = [], {}  # a twin axis (twinx) takes its panel's place: its label joins that panel's
    for ax in filter(kept, fig.axes):
        if place(ax) in twins:
            twins[place(ax)].append(ax)
        else:
            twins[place(ax)] = []
            main.append(ax)
    title = f"{clean(fig.get_suptitle())}. " if fig.get_suptitle() else ""
    if not main:
        return title.strip() or "A figure without text."
    if all(ax.images for ax in main):
        columns = list(dict.fromkeys(clean(ax.get_title()) for ax in main if ax.get_title()))
        rows = list(dict.fromkeys(clean(ax.get_ylabel()) for ax in main if ax.get_ylabel()))
        text = f"{len(main)} image panel{'s' if len(main) != 1 else ''}"
        text += f": {'; '.join(columns)}." if columns else "."
        return title + text + (f" Rows: {'; '.join(rows)}." if rows else "")
    # seaborn labels only the outer panels of a facet grid: one x and one y label among all panels are shared
    xs = {clean(ax.get_xlabel()) for ax in main if ax.get_xlabel()}
    ys = {clean(ax.get_ylabel()) for ax in main if ax.get_ylabel()}

    def heatmap(ax: plt.Axes) -> bool:
        return any(type(c).__name__ == "QuadMesh" for c in ax.collections)

    shared = (len(xs) <= 1 and len(ys) <= 1 and bool(xs or ys) and not any(twins.values())
              and not any(map(heatmap, main)))
    legends = {id(ax): [clean(t.get_text()) for t in ax.get_legend().get_texts()] for ax in main
               if ax.get_legend() is not None}
    lines = {id(ax): sum(len(line.get_xdata()) > 0 for line in ax.lines) for ax in main}
    # one legend for the whole figure: a figure legend, or one panel's legend where every panel draws as many lines
    figure_legend = [clean(t.get_text()) for legend in fig.legends for t in legend.get_texts()]
    if not figure_legend and len(legends) == 1 and len(main) > 1 and len(set(lines.values())) == 1:
        figure_legend = legends.popitem()[1]
    named, panels = set(), []
    for ax in main:
        text = clean(ax.get_title())
        y = " and ".join(filter(None, [clean(a.get_ylabel()) for a in [ax, *twins[place(ax)]]]))
        if heatmap(ax):
            text += f" (heatmap: {y or 'rows'} by {clean(ax.get_xlabel()) or 'columns'})"
        elif not shared and (y or ax.get_xlabel()):
            text += f" ({y or 'value'} against {clean(ax.get_xlabel())})" if ax.get_xlabel() else f" ({y})"
        entries = legends.get(id(ax))
        if entries and tuple(entries) not in named:
            named.add(tuple(entries))
            text += f" (legend: {', '.join(entries)})"
        panels.append(text.strip() or "untitled")
    count = f"{len(main)} panel{'s' if len(main) != 1 else ''}"
    if shared:
        count += f", {next(iter(ys), 'value')} against {next(iter(xs), 'x')}"
    untitled = len(panels) == 1 and panels[0].startswith("(")  # one panel without a title: "1 panel (heatmap: ...)"
    text = f"{count} {panels[0]}." if untitled else f"{count}: {'; '.join(panels)}."
    return title + text + (f" Legend: {', '.join(figure_legend)}." if figure_legend else "")
