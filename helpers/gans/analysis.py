"""What the GAN notebook shows beside its figures: the method it names best, and observations written from the
measured numbers."""
from __future__ import annotations

from collections.abc import Mapping

from helpers.core.training import History

PROBE_SAMPLES = 256  # the samples the per-epoch recognised share is read on (helpers.gans.experiment)
NOT_DIGITS = 0.05  # a recognised share below this: the samples are not digits (the mode-collapse observation)


def best_method(table: Mapping[str, Mapping[str, float]]) -> str:
    """The method the notebook names best (its deliverable): the lowest classifier FID, else the lowest
    Inception FID (images without class labels), else the lowest random-feature FID, else the first method trained."""
    methods = [m for m in table if m != "real"]
    for column in ("fid_classifier", "fid_inception", "fid_random"):
        if all(column in table[m] for m in methods):
            return min(methods, key=lambda m: table[m][column])
    return methods[0]


def gan_observations(table: Mapping[str, Mapping[str, float]], collapse: Mapping[str, Mapping[str, float]] | None,
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
        c, m = collapse["collapsed"], collapse["mitigated"]
        c_digits, m_digits = (run.get("recognised", 1.0) >= NOT_DIGITS for run in (c, m))  # older runs: no column
        if not c_digits and not m_digits:
            lines.append(f"- **Mode collapse:** neither run draws recognisable digits at this budget (collapsed "
                         f"{c['recognised']:.0%}, mitigated {m['recognised']:.0%} recognised), so the experiment shows "
                         "nothing here; it needs more steps.")
        elif not c_digits:
            lines.append(f"- **Mode collapse, at its extreme:** the collapsing configuration's samples are not digits "
                         f"at all (the classifier recognises {c['recognised']:.0%} of them; diversity "
                         f"{c['diversity']:.2f} nats and feature distance {c['feature_spread']:.2f} say no digit is "
                         "there, not one digit repeated): once its discriminator rejects every sample, the saturating "
                         "loss gives the generator almost no gradient, and it stays near the noise-like images it "
                         f"began with. The mitigation, the same networks with WGAN-GP's loss, reaches "
                         f"{m['diversity']:.2f} nats (uniform over ten digits: 2.30) with {m['recognised']:.0%} "
                         "recognised.")
        else:
            covers = (f"- **Mode collapse:** the collapsing configuration's samples cover digit classes with entropy "
                      f"{c['diversity']:.2f} nats (uniform over ten digits: 2.30)")
            lines.append(covers + (f", but the mitigation's are not digits yet ({m['recognised']:.0%} recognised): at "
                                   "this budget the experiment shows no mitigation."
                                   if not m_digits else
                                   f"; the mitigation reaches {m['diversity']:.2f}, and the mean feature distance "
                                   f"between samples goes from {c['feature_spread']:.2f} to "
                                   f"{m['feature_spread']:.2f}."))
    return "\n".join(lines)
