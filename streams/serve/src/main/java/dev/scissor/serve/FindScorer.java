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
    public record Scored(Window window, double score, double similarity) {}

    private FindScorer() {}

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
            final float[] t = new float[mt * dim];
            final FloatBuffer view = win.tokens();
            view.get(t);
            bestMatches(q, nq, t, mt, dim, m, w);
        }
        final int nw = windows.size();
        final double[] similarity = similarities(m, nw);
        final double[] score = scores(m, nw);
        final List<Scored> out = new ArrayList<>();
        for (int w = 0; w < nw; w++) {
            out.add(new Scored(windows.get(w), score[w], similarity[w]));
        }
        out.sort(Comparator.comparingDouble((Scored s) -> -s.score()).thenComparingDouble(s -> -s.similarity()));
        return out;
    }

    /**
     * One window's column of the match matrix: {@code m[i][w]} = the best cosine of query token i to
     * any of the window's tokens (-1 for a window without tokens).
     *
     * @param queryUnit the query tokens, each of unit length ({@link #normalizedRows}), {@code [nq, dim]}
     * @param nq number of query tokens
     * @param tokens the window's tokens, {@code [mt, dim]} (any length; normalised here)
     * @param mt number of window tokens
     * @param dim the token dimension
     * @param m the match matrix, {@code [nq][windows]}
     * @param w the window's column
     */
    public static void bestMatches(
            final float[] queryUnit,
            final int nq,
            final float[] tokens,
            final int mt,
            final int dim,
            final double[][] m,
            final int w) {
        if (mt == 0) {
            for (int i = 0; i < nq; i++) {
                m[i][w] = -1;
            }
            return;
        }
        final float[] tn = normalizedRows(tokens, mt, dim);
        final float[] s = new float[nq * mt];
        // Row-major S (nq x mt) = Q T^T is column-major S^T (mt x nq) = T Q^T.
        BLAS_INSTANCE.sgemm("T", "N", mt, nq, dim, 1.0f, tn, 0, dim, queryUnit, 0, dim, 0.0f, s, 0, mt);
        for (int i = 0; i < nq; i++) {
            float best = -1;
            for (int j = 0; j < mt; j++) {
                best = Math.max(best, s[i * mt + j]);
            }
            m[i][w] = best;
        }
    }

    /** Each window's plain similarity: the mean of its column of {@code m} over the query tokens. */
    static double[] similarities(final double[][] m, final int nw) {
        final double[] similarity = new double[nw];
        for (final double[] row : m) {
            for (int w = 0; w < nw; w++) {
                similarity[w] += row[w] / m.length;
            }
        }
        return similarity;
    }

    /**
     * Each window's ranking score from the match matrix (see the class comment): the mean standardised
     * match over the most distinctive query tokens; with a single window, the plain similarity.
     *
     * @param m the match matrix, {@code [nq][nw]} ({@link #bestMatches})
     * @param nw number of windows
     * @return the score of each window (higher ranks first)
     */
    public static double[] scores(final double[][] m, final int nw) {
        final int nq = m.length;
        final double[] similarity = similarities(m, nw);
        final double[] score = new double[nw];
        final double[] mean = new double[nq];
        final double[] std = new double[nq];
        for (int i = 0; i < nq; i++) {
            double sum = 0;
            double sq = 0;
            for (int w = 0; w < nw; w++) {
                sum += m[i][w];
                sq += m[i][w] * m[i][w];
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
        return score;
    }

    /**
     * Rows scaled to unit length (a zero row stays zero).
     *
     * @param a row-major {@code [rows, dim]}
     * @param rows number of rows
     * @param dim the row length
     * @return a new array
     */
    public static float[] normalizedRows(final float[] a, final int rows, final int dim) {
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
