"""A small PyTorch training loop, written the usual way: the loss is read with ``.item()`` every step,
which waits for the GPU each time. A third-party GPU program for the GPU trace (the app did not write
PyTorch's kernels or its launches).

    python torch_mlp.py [--steps N]   # needs PyTorch with CUDA
"""

import argparse

import torch


def make_data(n, features, device):
    g = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(n, features, generator=g)
    w = torch.randn(features, 1, generator=g)
    y = x @ w + 0.1 * torch.randn(n, 1, generator=g)
    return x.to(device), y.to(device)


def train(steps, device):
    x, y = make_data(8192, 256, device)
    model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 1)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())  # waits for the GPU every step
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    losses = train(args.steps, "cuda")
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses)} steps")
