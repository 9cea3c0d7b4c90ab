"""What the GAN notebook shows beside its figures: the method it names best, and observations written from the
measured numbers."""
from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt

from helpers.core.training import History
from helpers.gans.mode_collapse import CollapseRun
from helpers.gans.ring import HIGH_QUALITY, MODES, RADIUS, centres

PROBE_SAMPLES = 256  # the samples the per-epoch recognised share is read on (helpers.gans.experiment)
RUN_LABELS = {"collapsed": "collapsed (GAN)", "mitigated": "mitigated (PacGAN)"}
SHOWN_POINTS = 1000  # of each snapshot's samples, drawn in the figure
CROWDED = 0.5  # a snapshot whose largest share of samples nearest one mode is at least this crowds near that mode


def best_method(table: Mapping[str, Mapping[str, float]]) -> str:
    """The method the notebook names best (its deliverable): the lowest classifier FID, else the lowest
    Inception FID (images without class labels), else the lowest random-feature FID, else the first method trained."""
    methods = [m for m in table if m != "real"]
    for column in ("fid_classifier", "fid_inception", "fid_random"):
        if all(column in table[m] for m in methods):
            return min(methods, key=lambda m: table[m][column])
    return methods[0]


def gan_observations(table: Mapping[str, Mapping[str, float]], collapse: Mapping[str, CollapseRun] | None,
                     histories: Mapping[str, History]) -> str:
    """Observations written from the measured numbers."""
    methods = [m for m in table if m != "real"]
    lines = []
    if methods and "fid_classifier" in table[methods[0]]:
        ranked = sorted(methods, key=lambda m: table[m]["fid_classifier"])
        best, worst = best_method(table), ranked[-1]
        floor = table["real"]["fid_classifier"]
        lines.append(f"- **Best method: {best}**, classifier FID {table[best]['fid_classifier']:.2f} "
                     f"({table[best]['fid_classifier'] / floor:.1f}x the real-vs-real floor of {floor:.2f}); "
                     f"worst {worst} at {table[worst]['fid_classifier']:.2f}. Ranking: {' < '.join(ranked)}.")
        lines.append("- **Recognisable samples** (judge confidence >= 0.9): " + ", ".join(
            f"{m} {table[m]['recognised']:.0%}" for m in methods) + f"; real images {table['real']['recognised']:.0%}.")
    if methods and "fid_random" in table[methods[0]]:
        floor = table["real"]["fid_random"]
        lines.append("- **Random-feature FID** (no labels needed; real-vs-real floor "
                     f"{floor:.3g}): " + ", ".join(f"{m} {table[m]['fid_random']:.3g} "
                                                   f"({table[m]['fid_random'] / max(floor, 1e-12):.0f}x the floor)"
                                                   for m in methods) + ".")
    if methods and "face_share" in table[methods[0]]:
        lines.append("- **Faces found** by OpenCV's Haar cascade: " + ", ".join(
            f"{m} {table[m]['face_share']:.0%}" for m in methods) + f"; real images {table['real']['face_share']:.0%} "
            "(the ceiling; the course's reference reports give 85-91% for generated faces).")
    for name, history in histories.items():
        curve = history.get("recognised")
        if curve and len(curve) >= 3:
            drops = sum(1 for a, b in zip(curve, curve[1:]) if b < a - 0.1)
            lines.append(f"- **{name} over training:** recognised share of the same {PROBE_SAMPLES} noise vectors "
                         f"after each epoch (the table grades a draw of its own): {curve[0]:.0%} after the "
                         f"first epoch, {max(curve):.0%} at best, {curve[-1]:.0%} at the end"
                         + (f"; it fell by more than 10 points {drops} time(s), a sign of unstable training." if drops
                            else "; no drop of more than 10 points between epochs."))
    if collapse:
        lines.append(collapse_observation(collapse))
    return "\n".join(lines)


def collapse_figure(runs: Mapping[str, CollapseRun]) -> plt.Figure:
    """The mode-collapse runs' samples at each snapshot, one row per run: the first :data:`SHOWN_POINTS` samples
    over circles of radius ``HIGH_QUALITY`` around the ring's centres (a sample inside one is a high-quality sample
    of that mode)."""
    columns = max(len(run.steps) for run in runs.values())
    fig, axes = plt.subplots(len(runs), columns, figsize=(2.1 * columns, 2.3 * len(runs)), squeeze=False)
    limit = RADIUS * 1.6
    for row, (name, run) in zip(axes, runs.items()):
        for ax, steps, points, modes in zip(row, run.steps, run.snapshots, run.history["modes"]):
            for x, y in centres().tolist():
                ax.add_patch(plt.Circle((x, y), HIGH_QUALITY, color="tab:orange", alpha=0.35, linewidth=0))
            shown = points[:SHOWN_POINTS].clamp(-limit, limit)
            ax.scatter(shown[:, 0], shown[:, 1], s=2, color="tab:blue", alpha=0.5, linewidths=0)
            ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xticks=[], yticks=[], aspect="equal",
                   title=f"step {steps}: {modes:.0f} of {MODES} modes")
            ax.title.set_fontsize(8)
        row[0].set_ylabel(RUN_LABELS.get(name, name), fontsize=9)
    fig.tight_layout()
    return fig


def collapse_observation(runs: Mapping[str, CollapseRun]) -> str:
    """What the two mode-collapse runs show, from their coverage at each snapshot."""
    collapsed, mitigated = runs["collapsed"], runs["mitigated"]
    c, m = collapsed.final, mitigated.final
    history = collapsed.history
    visited = [int(mode) for mode in history["largest_mode"]]
    shares = history["largest_share"]
    hops = sum(1 for a, b in zip(visited, visited[1:]) if a != b)
    if min(shares) >= CROWDED:
        where = (f"at each of the {len(visited)} snapshots {min(shares):.0%}-{max(shares):.0%} of its samples lie "
                 f"nearest one mode, and that mode changed {hops} time(s): modes {' -> '.join(map(str, visited))}, "
                 "numbered anticlockwise from the right")
    else:
        where = (f"its samples crowd near one mode at {sum(s >= CROWDED for s in shares)} of the {len(visited)} "
                 f"snapshots (at least {CROWDED:.0%} of them nearest one mode)")
    if c["modes"] <= MODES // 4 and m["modes"] >= c["modes"] + MODES // 2:
        return (f"- **Mode collapse:** after {collapsed.steps[-1]} steps the GAN whose generator learns faster "
                f"than its discriminator covers {c['modes']:.0f} of {MODES} modes; {where}. With PacGAN's "
                f"discriminator, which judges packs of points, the same networks, rates and steps cover "
                f"{m['modes']:.0f} of {MODES}, {m['high_quality']:.0%} of the samples within 3 standard deviations "
                "of a mode.")
    if c["modes"] > MODES // 4:
        return (f"- **Mode collapse** was not seen at this budget: the collapsing configuration covers "
                f"{c['modes']:.0f} of {MODES} modes, the mitigation {m['modes']:.0f}.")
    return (f"- **Mode collapse:** the collapsing configuration covers {c['modes']:.0f} of {MODES} modes; {where}. "
            f"The mitigation covers {m['modes']:.0f}: at this budget the experiment shows no mitigation; it needs more "
            "steps (`collapse_steps`).")
