package dev.scissor.serve;

import dev.ludovic.netlib.blas.BLAS;
import dev.scissor.consumer.Window;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Ranks a stream's windows by how well their compressed tokens match the tokens of a query image
 * (query by example).
 *
 * <p>For query token {@code q} and window {@code w}, {@code m[q][w]} is the best cosine similarity
 * of {@code q} to any of {@code w}'s tokens (a merged token stands for every patch merged into it,
 * so a person that appears in a window keeps a close token). Averaging {@code m} over all query
 * tokens ({@link Scored#similarity}) is dominated by what every window shows, the static
 * background, so the ranking score contrasts with the stream itself: each query token's {@code m}
 * is standardised over the stream's windows ({@code (m - mean) / std}), and the score is the mean
 * over the {@value #DISTINCTIVE_FRACTION} of query tokens whose match varies most between windows,
 * which are the ones that tell windows apart (the person rather than the pavement). With a single
 * window the score is the plain similarity.
 */
public final class FindScorer {

    /** The fraction of query tokens that rank: those whose best match varies most over the windows. */
    public static final double DISTINCTIVE_FRACTION = 0.25;

    private static final BLAS BLAS_INSTANCE = BLAS.getInstance();

    /** One window's score. */
    public record Scored(Window window, double score, double similarity) {
    }

    private FindScorer() {
    }

    /**
     * Ranks windows.
     *
     * @param query the query tokens, row-major {@code [n, dim]}
     * @param dim the token dimension
     * @param windows the candidates
     * @return every window with its scores, best first
     * @throws IllegalArgumentException when a window's token dimension is not {@code dim}
     */
    public static List<Scored> rank(final float[] query, final int dim, final List<Window> windows) {
        final int nq = query.length / dim;
        final float[] q = normalizedRows(query, nq, dim);
        final double[][] m = new double[nq][windows.size()];
        for (int w = 0; w < windows.size(); w++) {
            final Window win = windows.get(w);
            if (win.tokenDim() != dim) {
                throw new IllegalArgumentException("window " + win.firstSequence() + "-" + win.lastSequence()
                        + " has tokens of dimension " + win.tokenDim() + " but the query encoder gives " + dim
                        + "; scissor.serve.encoder.model must be the encoder stage's model");
            }
            final int mt = win.tokenCount();
            if (mt == 0) {
                for (int i = 0; i < nq; i++) {
                    m[i][w] = -1;
                }
                continue;
            }
            final float[] t = new float[mt * dim];
            final FloatBuffer view = win.tokens();
            view.get(t);
            final float[] tn = normalizedRows(t, mt, dim);
            final float[] s = new float[nq * mt];
            // Row-major S (nq x mt) = Q T^T is column-major S^T (mt x nq) = T Q^T.
            BLAS_INSTANCE.sgemm("T", "N", mt, nq, dim, 1.0f, tn, 0, dim, q, 0, dim, 0.0f, s, 0, mt);
            for (int i = 0; i < nq; i++) {
                float best = -1;
                for (int j = 0; j < mt; j++) {
                    best = Math.max(best, s[i * mt + j]);
                }
                m[i][w] = best;
            }
        }
        final int nw = windows.size();
        final double[] similarity = new double[nw];
        final double[] score = new double[nw];
        final double[] mean = new double[nq];
        final double[] std = new double[nq];
        for (int i = 0; i < nq; i++) {
            double sum = 0;
            double sq = 0;
            for (int w = 0; w < nw; w++) {
                sum += m[i][w];
                sq += m[i][w] * m[i][w];
                similarity[w] += m[i][w] / nq;
            }
            mean[i] = nw == 0 ? 0 : sum / nw;
            std[i] = nw == 0 ? 0 : Math.sqrt(Math.max(0, sq / nw - mean[i] * mean[i]));
        }
        final Integer[] order = new Integer[nq];
        for (int i = 0; i < nq; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -std[i]));
        final int k = Math.max(1, (int) Math.round(nq * DISTINCTIVE_FRACTION));
        for (int w = 0; w < nw; w++) {
            if (nw == 1) {
                score[w] = similarity[w];
                continue;
            }
            double sum = 0;
            for (int r = 0; r < k; r++) {
                final int i = order[r];
                sum += std[i] > 1e-9 ? (m[i][w] - mean[i]) / std[i] : 0;
            }
            score[w] = sum / k;
        }
        final List<Scored> out = new ArrayList<>();
        for (int w = 0; w < nw; w++) {
            out.add(new Scored(windows.get(w), score[w], similarity[w]));
        }
        out.sort(Comparator.comparingDouble((Scored s) -> -s.score()).thenComparingDouble(s -> -s.similarity()));
        return out;
    }

    private static float[] normalizedRows(final float[] a, final int rows, final int dim) {
        final float[] out = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double n = 0;
            for (int c = 0; c < dim; c++) {
                n += (double) a[r * dim + c] * a[r * dim + c];
            }
            final float inv = n > 0 ? (float) (1 / Math.sqrt(n)) : 0f;
            for (int c = 0; c < dim; c++) {
                out[r * dim + c] = a[r * dim + c] * inv;
            }
        }
        return out;
    }
}
