#!/usr/bin/python3
"""Times the PyTorch reference's DIM step in two parts: forward+backward, and Adam.

It imports ../shared/bench/dim_torch.py (its DIM model as dim_full runs it, batch
norm on, random 32x32x3 images) and times, after 5 warm-up steps, 30 steps of
each part apart at batch 16 and 64, on 2 threads. The README's "Where the time
goes" compares the parts with ours. Run it tuned, as the reference's README says:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \\
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \\
      /usr/bin/python3 cmd/speedratio/torch_split.py [--bench ../shared/bench]
"""
import argparse
import statistics
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="../shared/bench")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    sys.path.insert(0, a.bench)
    import dim_torch as d

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for batch in (16, 64):
        model = d.DIM(bn=True)
        model.train()
        x = torch.randn(batch, 3, 32, 32)
        params = list(model.parameters())
        opt = torch.optim.Adam(params, lr=d.LR)

        def forward_backward():
            for p in params:
                p.grad = None
            model.loss(x).backward()

        for _ in range(5):
            forward_backward()
            opt.step()
        fb, adam = [], []
        for _ in range(30):
            t0 = time.perf_counter()
            forward_backward()
            t1 = time.perf_counter()
            opt.step()
            fb.append(t1 - t0)
            adam.append(time.perf_counter() - t1)
        n = sum(p.numel() for p in params)
        print(f"batch {batch}: {n / 1e6:.2f}M parameters; forward+backward "
              f"{statistics.median(fb) * 1e3:.1f} ms, Adam step {statistics.median(adam) * 1e3:.1f} ms "
              "(medians of 30 steps)")


if __name__ == "__main__":
    main()
