"""RectNet and UResNet with OmniDepth-PyTorch's module names, written for the tests from the published
architecture (Zioulis et al., ECCV 2018) and upstream's parameter names, so that checkpoints "as users hold
them" can be made here and the conversion proven against the original module's own outputs.

Naming as upstream: conv + ELU blocks hold their convolution in `.conv` (`input0_0.conv.weight`,
`encoder1_3.conv.bias`, `decoder0_0.conv` is a transposed convolution); the prediction heads are bare
3x3 convolutions (`prediction0.weight`). UResNet's skip blocks are `encoder{0..3}.conv{1,2,3}.conv`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    """`conv` (or transposed conv) followed by ELU, the parameter living at `<name>.conv`."""

    def __init__(self, cin: int, cout: int, kernel, stride: int = 1, padding=0, dilation: int = 1,
                 transposed: bool = False) -> None:
        super().__init__()
        layer = nn.ConvTranspose2d if transposed else nn.Conv2d
        self.conv = layer(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.elu(self.conv(x))


def _up(cin: int, cout: int) -> Block:
    return Block(cin, cout, 4, stride=2, padding=1, transposed=True)


class UpstreamRectNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        for i, (k, p) in enumerate((((3, 9), (1, 4)), ((5, 11), (2, 5)), ((5, 7), (2, 3)), (7, 3))):
            setattr(self, f"input0_{i}", Block(3, 8, k, padding=p))
        for i, (k, p) in enumerate((((3, 9), (1, 4)), ((3, 7), (1, 3)), ((3, 5), (1, 2)), (5, 2))):
            setattr(self, f"input1_{i}", Block(32, 16, k, padding=p))
        self.encoder0_0 = Block(64, 128, 3, stride=2, padding=1)
        self.encoder0_1 = Block(128, 128, 3, padding=1)
        self.encoder0_2 = Block(128, 128, 3, padding=1)
        self.encoder1_0 = Block(128, 256, 3, stride=2, padding=1)
        self.encoder1_1 = Block(256, 256, 3, padding=2, dilation=2)
        self.encoder1_2 = Block(256, 256, 3, padding=4, dilation=4)
        self.encoder1_3 = Block(512, 256, 1)
        self.encoder2_0 = Block(256, 256, 3, padding=8, dilation=8)
        self.encoder2_1 = Block(256, 512, 3, padding=16, dilation=16)
        self.encoder2_2 = Block(768, 512, 1)
        self.decoder0_0 = _up(512, 256)
        self.decoder0_1 = Block(256, 256, 5, padding=2)
        self.prediction0 = nn.Conv2d(256, 1, 3, padding=1)
        self.decoder1_0 = _up(256, 128)
        self.decoder1_1 = Block(128, 128, 5, padding=2)
        self.decoder1_2 = Block(129, 64, 1)
        self.prediction1 = nn.Conv2d(64, 1, 3, padding=1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_normal_(m.weight)
                nn.init.normal_(m.bias, std=0.1)  # non-zero biases, so a swapped bias would show

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = torch.cat([getattr(self, f"input0_{i}")(x) for i in range(4)], 1)
        x = torch.cat([getattr(self, f"input1_{i}")(x) for i in range(4)], 1)
        x = self.encoder0_2(self.encoder0_1(self.encoder0_0(x)))
        d2 = self.encoder1_1(self.encoder1_0(x))
        d4 = self.encoder1_2(d2)
        x = self.encoder1_3(torch.cat((d2, d4), 1))
        d8 = self.encoder2_0(x)
        d16 = self.encoder2_1(d8)
        x = self.decoder0_1(self.decoder0_0(self.encoder2_2(torch.cat((d8, d16), 1))))
        pred_2x = self.prediction0(x)
        x = self.decoder1_1(self.decoder1_0(x))
        x = self.decoder1_2(torch.cat((x, F.interpolate(pred_2x, scale_factor=2)), 1))
        return [self.prediction1(x), pred_2x]


class UpstreamSkip(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = Block(cin, cout, 3, stride=2, padding=1)
        self.conv2 = Block(cout, cout, 3, padding=1)
        self.conv3 = Block(cout, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.conv1(x)
        return first + self.conv3(self.conv2(first))


class UpstreamUResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.input0 = Block(3, 32, 7, padding=3)
        self.input1 = Block(32, 64, 5, padding=2)
        for i, (cin, cout) in enumerate(((64, 128), (128, 256), (256, 512), (512, 1024))):
            setattr(self, f"encoder{i}", UpstreamSkip(cin, cout))
        self.decoder0_0, self.decoder0_1 = _up(1024, 512), Block(512, 512, 5, padding=2)
        self.decoder1_0, self.decoder1_1 = _up(512, 256), Block(256, 256, 5, padding=2)
        self.decoder2_0, self.decoder2_1 = _up(256, 128), Block(129, 128, 5, padding=2)
        self.decoder3_0, self.decoder3_1 = _up(128, 64), Block(65, 64, 5, padding=2)
        # upstream registers the heads after the decoder, coarsest first
        self.prediction0 = nn.Conv2d(256, 1, 3, padding=1)
        self.prediction1 = nn.Conv2d(128, 1, 3, padding=1)
        self.prediction2 = nn.Conv2d(64, 1, 3, padding=1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_normal_(m.weight)
                nn.init.normal_(m.bias, std=0.1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.input1(self.input0(x))
        for i in range(4):
            x = getattr(self, f"encoder{i}")(x)
        x = self.decoder1_1(self.decoder1_0(self.decoder0_1(self.decoder0_0(x))))
        pred_4x = self.prediction0(x)
        up = F.interpolate(pred_4x.detach(), scale_factor=2)
        x = self.decoder2_1(torch.cat((self.decoder2_0(x), up), 1))
        pred_2x = self.prediction1(x)
        up = F.interpolate(pred_2x.detach(), scale_factor=2)
        x = self.decoder3_1(torch.cat((self.decoder3_0(x), up), 1))
        return [self.prediction2(x), pred_2x, pred_4x]


UPSTREAM = {"rectnet": UpstreamRectNet, "uresnet": UpstreamUResNet}
