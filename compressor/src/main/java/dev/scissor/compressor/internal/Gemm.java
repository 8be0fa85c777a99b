package dev.scissor.compressor.internal;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Dense float32 products {@code C = A * B^T} on row-major data, through netlib BLAS: the system
 * OpenBLAS when {@code libblas.so.3} is installed, else netlib's pure-Java implementation.
 */
public final class Gemm {

    private static final BLAS BLAS_INSTANCE = BLAS.getInstance();

    private Gemm() {}

    /** The BLAS implementation in use, e.g. {@code JNIBLAS} (native) or {@code Java11BLAS}. */
    public static String implementation() {
        return BLAS_INSTANCE.getClass().getSimpleName();
    }

    /**
     * {@code C[i*ldc + j] = sum_l A[i*lda + l] * B[j*ldb + l]} for i &lt; m, j &lt; n, l &lt; k
     * (each with its offset). Row i of A and row j of B are token vectors.
     */
    public static void abt(
            final int m,
            final int n,
            final int k,
            final float[] a,
            final int aOff,
            final int lda,
            final float[] b,
            final int bOff,
            final int ldb,
            final float[] c,
            final int cOff,
            final int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        // Row-major C (m x n) = A B^T is column-major C^T (n x m) = B A^T.
        BLAS_INSTANCE.sgemm("T", "N", n, m, k, 1.0f, b, bOff, ldb, a, aOff, lda, 0.0f, c, cOff, ldc);
    }

    /**
     * The lower triangle of {@code C = A * A^T}: {@code C[i*ldc + j] = sum_l A[i*lda + l] * A[j*lda + l]}
     * for j &lt;= i &lt; n, l &lt; k (half the work of {@link #abt}); entries above the diagonal are
     * left as they are.
     */
    public static void aat(
            final int n,
            final int k,
            final float[] a,
            final int aOff,
            final int lda,
            final float[] c,
            final int cOff,
            final int ldc) {
        if (n == 0) {
            return;
        }
        // Row-major lower triangle = column-major upper triangle of (A^T)^T A^T, A^T being column-major A.
        BLAS_INSTANCE.ssyrk("U", "T", n, k, 1.0f, a, aOff, lda, 0.0f, c, cOff, ldc);
    }
}
