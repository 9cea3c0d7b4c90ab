"""helpers/adaptation/analysis.py: the domains figure."""
import matplotlib.pyplot as plt
import torch

from helpers.adaptation.analysis import domains_figure
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
