"""A CuPy program built on library code the app did not write: cupyx.scipy's Gaussian filter and
conjugate-gradient solver on a 2-D Poisson problem.

    python cupyx_solver.py   # needs CuPy and a GPU
"""

import cupy as cp
import cupyx.scipy.ndimage as ndi
import cupyx.scipy.sparse as sparse
import cupyx.scipy.sparse.linalg as splinalg


def poisson(n):
    main = 4.0 * cp.ones(n * n, dtype=cp.float64)
    side = -cp.ones(n * n - 1, dtype=cp.float64)
    side[n - 1 :: n] = 0.0
    far = -cp.ones(n * n - n, dtype=cp.float64)
    return sparse.diags([main, side, side, far, far], [0, -1, 1, -n, n], format="csr")


def main(n=256):
    rhs = ndi.gaussian_filter(cp.random.default_rng(0).random((n, n)), sigma=4.0).ravel()
    x, info = splinalg.cg(poisson(n), rhs, maxiter=200)
    residual = float(cp.linalg.norm(poisson(n) @ x - rhs))
    print(f"cg info {info}, residual {residual:.3e}")


if __name__ == "__main__":
    main()
