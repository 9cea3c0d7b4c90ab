"""helpers/adaptation/analysis.py: the domains figure, the accuracy curves, the t-SNE panels and the observations."""
import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers.adaptation.analysis import accuracy_curves, domains_figure, observations, tsne_panels
from helpers.adaptation.common import DomainPair
from helpers.adaptation.experiment import MethodResult
from helpers.core.images import Domain, ImageSet


def domain(name, n, channels, value):
    images = torch.full((n, channels, 8, 8), value, dtype=torch.uint8)
    images[0] = 0  # the first image differs, so that the row is seen to start at the first training image
    train = ImageSet(images, torch.arange(n) % 10, name)
    return Domain(name, train, ImageSet(images[:2], torch.zeros(2, dtype=torch.long), name))


def test_the_domains_figure_has_a_row_per_domain_of_its_first_training_images():
    domains = {"digits-m": domain("digits-m", 20, 3, 100), "digits-u": domain("digits-u", 5, 1, 200)}
    fig = domains_figure(domains, per_domain=16)
    assert [ax.get_ylabel() for ax in fig.axes] == ["digits-m", "digits-u"]
    rows = [ax.images[0].get_array() for ax in fig.axes]
    # make_grid: one row of the images, 8 pixels each with 2 of padding around them
    assert [row.shape[1] for row in rows] == [16 * 10 + 2, 5 * 10 + 2]
    for row, value in zip(rows, (100, 200)):
        assert (row[2:10, 2:10] == 0).all() and (row[2:10, 12:20] == value).all()
    assert rows[1].shape[2] == 3  # the gray domain drawn as RGB beside the colour one
    plt.close(fig)


class Encoded(nn.Module):
    def __init__(self):
        super().__init__()
        self.feature_extractor = nn.Flatten()


def test_tsne_panels_draw_one_embedding_twice_coloured_by_digit_and_by_domain():
    pair = DomainPair(domain("digits-m", 40, 1, 100), domain("digits-u", 40, 1, 200))
    pair.source.test.images[:] = torch.randint(0, 255, pair.source.test.images.shape, dtype=torch.uint8)
    result = MethodResult("dann", pair.name, Encoded(), {}, 0.5)
    by_digit, by_domain = tsne_panels(result, pair, points=4, seed=0, device=torch.device("cpu"))
    assert by_digit[0] is by_domain[0] and by_digit[0].shape == (4, 2)
    assert by_digit[3].endswith("by digit") and by_domain[3].endswith("by domain")
    assert list(by_domain[1]) == [0, 0, 1, 1] and by_domain[2] == ["source digits-m", "target digits-u"]
    assert len(by_digit[2]) == 10


def test_adda_curves_start_after_the_source_only_training_they_continue():
    def result(method, accuracies):
        return MethodResult(method, "a->b", nn.Identity(), {"target accuracy": accuracies}, accuracies[-1])
    fig = accuracy_curves([result("source-only", [0.1, 0.2, 0.3]), result("adda", [0.4, 0.5]),
                           result("dann", [0.2, 0.3, 0.4])], ["a->b"])
    lines = {line.get_label(): list(line.get_xdata()) for line in fig.axes[0].lines if len(line.get_xdata())}
    assert sorted(map(tuple, lines.values())) == [(1, 2, 3), (1, 2, 3), (4, 5)]
    plt.close(fig)


def test_observations_say_how_many_test_images_a_difference_is_and_whether_it_is_under_two_standard_errors():
    table = {"source-only": {"a->b": 0.5, "b->a": 0.5}, "dann": {"a->b": 0.75, "b->a": 0.49},
             "target-only": {"a->b": 0.9, "b->a": 0.9}}
    lines = observations(table, "dann", ["a->b", "b->a"], {"a->b": 100, "b->a": 100}).splitlines()
    # binomial standard error of 50% on 100 images: 5 points; +25 points is five of them, -1 point a fifth of one
    assert "25 of 100 test images" in lines[0] and "about 5.0 points)" in lines[0] and "two of them" not in lines[0]
    assert "1 of 100 test images" in lines[1] and "less than two of them" in lines[1]
    assert "test images" not in observations(table, "dann", ["a->b", "b->a"])
