"""PyTorch's conv2d forward and forward+backward at the shapes of `gradpath bench conv2d`:
median CPU milliseconds (process time, all threads) of --reps runs after a warm-up; one JSON line."""
import argparse, json, time
import torch

SHAPES = [("cnn block1 1->16 @28", 128, 1, 28, 16, 3), ("cnn block2 16->32 @14", 128, 16, 14, 32, 3), ("wider 32->64 @14", 128, 32, 14, 64, 3)]

def timed(fn, reps):
    """Median CPU milliseconds (process time, all threads) and median wall milliseconds."""
    fn()
    cpu, wall = [], []
    for _ in range(reps):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return sorted(cpu)[len(cpu) // 2], sorted(wall)[len(wall) // 2]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = []
    for name, n, c, h, o, k in SHAPES:
        x = torch.randn(n, c, h, h, requires_grad=True)
        w = (0.1 * torch.randn(o, c, k, k)).requires_grad_()
        def fwd():
            with torch.no_grad():
                torch.nn.functional.conv2d(x, w, padding=1)
        def both():
            x.grad = None; w.grad = None
            torch.nn.functional.conv2d(x, w, padding=1).sum().backward()
        (fc, fw), (bc, bw) = timed(fwd, a.reps), timed(both, a.reps)
        out.append({"name": name, "forward_ms": fc, "forward_backward_ms": bc, "forward_wall_ms": fw, "forward_backward_wall_ms": bw})
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "results": out}))

main()
