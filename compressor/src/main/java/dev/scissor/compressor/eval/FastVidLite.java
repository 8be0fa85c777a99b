package dev.scissor.compressor.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * FastVID-style pruning with token-only substitutions (PEERS.md C2, LunarShen/FastVID): dynamic
 * segmentation, salient tokens per frame, and density-based context tokens per segment.
 *
 * <ol>
 *   <li>DySeg: g_t = mean of frame t's tokens (FastVID: the SigLIP MAP-head feature); cut between t
 *       and t+1 at the {@value #CUTS} smallest cos(g_t, g_t+1) and wherever it is below
 *       {@value #SEG_TAU}.</li>
 *   <li>R = K / T per frame; each frame keeps its top R - floor(d R) tokens by L2 norm (FastVID: MAP-head
 *       attention), d = {@value #D}.</li>
 *   <li>The rest of the segment's share of K goes to context tokens: the anchor frames are every
 *       {@value #P}th frame counted back from the segment's end; each anchor's non-salient tokens are
 *       clustered by DPC-KNN (k = {@value #DPC_K}) and its top centres by rho * delta are taken; every
 *       non-salient token of the segment joins the centre of highest cosine, and a centre's output is
 *       w * centre + (1 - w) * mean(members), w = max(beta, 1/(n+1)), beta = {@value #BETA}.</li>
 * </ol>
 *
 * <p>Approximations beyond the substitutions above: shares are rounded per frame and per segment, so
 * the count may differ from K by a few tokens; DPC ties in density go to the lower index instead of
 * FastVID's random noise.
 */
public final class FastVidLite implements Method {

    static final int CUTS = 7;
    static final double SEG_TAU = 0.9;
    static final double D = 0.4;
    static final int P = 4;
    static final int DPC_K = 4;
    static final double BETA = 0.6;

    @Override
    public String name() {
        return "fastvid";
    }

    @Override
    public Kind kind() {
        return Kind.MERGE;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final int n = frames * tokens;
        final List<int[]> segments = segments(video, frames, tokens, dim);
        final double perFrame = (double) target / frames;
        final int salient = Math.min(tokens, (int) Math.round(perFrame - Math.floor(D * perFrame)));
        final boolean[] isSalient = new boolean[n];
        final int[] assignment = new int[n];
        final List<float[]> out = new ArrayList<>();
        for (int t = 0; t < frames; t++) {
            final double[] score = new double[tokens];
            for (int i = 0; i < tokens; i++) {
                score[i] = Tokens.norm(video, t * tokens + i, dim);
            }
            for (final int i : Tokens.topK(score, salient)) {
                isSalient[t * tokens + i] = true;
            }
        }
        // salient tokens, then each segment's context tokens; output in that order
        for (int i = 0; i < n; i++) {
            if (isSalient[i]) {
                assignment[i] = out.size();
                final float[] row = new float[dim];
                System.arraycopy(video, i * dim, row, 0, dim);
                out.add(row);
            }
        }
        for (final int[] seg : segments) {
            final int len = seg[1] - seg[0];
            final int context = (int) Math.round(perFrame * len) - salient * len;
            if (context <= 0) {
                // no context budget: the segment's other tokens go to their nearest salient token of the segment
                assignNearestSalient(video, tokens, dim, seg, isSalient, assignment);
                continue;
            }
            final int anchors = (len + P - 1) / P;
            final List<Integer> centres = new ArrayList<>();
            for (int a = 0; a < anchors; a++) {
                final int f = seg[1] - 1 - a * P;
                final int quota = context / anchors + (a < context % anchors ? 1 : 0);
                final int[] cand = nonSalient(f, tokens, isSalient);
                for (final int c : dpcCentres(video, dim, cand, quota)) {
                    centres.add(c);
                }
            }
            final int base = out.size();
            final int nc = centres.size();
            final double[] sums = new double[nc * dim];
            final int[] members = new int[nc];
            for (int i = seg[0] * tokens; i < seg[1] * tokens; i++) {
                if (isSalient[i]) {
                    continue;
                }
                double best = Double.NEGATIVE_INFINITY;
                int arg = 0;
                for (int c = 0; c < nc; c++) {
                    final double s = Tokens.cos(video, i, video, centres.get(c), dim);
                    if (s > best) {
                        best = s;
                        arg = c;
                    }
                }
                assignment[i] = base + arg;
                members[arg]++;
                for (int l = 0; l < dim; l++) {
                    sums[arg * dim + l] += video[i * dim + l];
                }
            }
            for (int c = 0; c < nc; c++) {
                final double w = Math.max(BETA, 1.0 / (members[c] + 1));
                final int co = centres.get(c) * dim;
                final float[] row = new float[dim];
                for (int l = 0; l < dim; l++) {
                    final double mean = members[c] > 0 ? sums[c * dim + l] / members[c] : video[co + l];
                    row[l] = (float) (w * video[co + l] + (1 - w) * mean);
                }
                out.add(row);
            }
        }
        final float[] flat = new float[out.size() * dim];
        for (int j = 0; j < out.size(); j++) {
            System.arraycopy(out.get(j), 0, flat, j * dim, dim);
        }
        return new Reduction(out.size(), flat, assignment, segments.size() + " segments");
    }

    /** Segments as [start, end) frame ranges. */
    static List<int[]> segments(final float[] video, final int frames, final int tokens, final int dim) {
        final float[] means = new float[frames * dim];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < tokens; i++) {
                for (int l = 0; l < dim; l++) {
                    means[t * dim + l] += video[(t * tokens + i) * dim + l];
                }
            }
        }
        final boolean[] cut = new boolean[Math.max(0, frames - 1)];
        if (frames > 1) {
            final double[] negSim = new double[frames - 1];
            for (int t = 0; t + 1 < frames; t++) {
                final double s = Tokens.cos(means, t, means, t + 1, dim);
                negSim[t] = -s;
                cut[t] = s < SEG_TAU;
            }
            for (final int t : Tokens.topK(negSim, CUTS)) {
                cut[t] = true;
            }
        }
        final List<int[]> segs = new ArrayList<>();
        int start = 0;
        for (int t = 0; t + 1 < frames; t++) {
            if (cut[t]) {
                segs.add(new int[] {start, t + 1});
                start = t + 1;
            }
        }
        segs.add(new int[] {start, frames});
        return segs;
    }

    private static int[] nonSalient(final int frame, final int tokens, final boolean[] isSalient) {
        int c = 0;
        final int[] out = new int[tokens];
        for (int i = frame * tokens; i < (frame + 1) * tokens; i++) {
            if (!isSalient[i]) {
                out[c++] = i;
            }
        }
        return java.util.Arrays.copyOf(out, c);
    }

    /** DPC-KNN centres among cand (global token indices): the top q by rho * delta. */
    static int[] dpcCentres(final float[] video, final int dim, final int[] cand, final int q) {
        final int m = cand.length;
        if (m == 0 || q <= 0) {
            return new int[0];
        }
        final double[] dist = new double[m * m];
        final double scale = 1.0 / Math.sqrt(dim);
        for (int a = 0; a < m; a++) {
            for (int b = a + 1; b < m; b++) {
                double s = 0;
                final int oa = cand[a] * dim;
                final int ob = cand[b] * dim;
                for (int l = 0; l < dim; l++) {
                    final double u = video[oa + l] - video[ob + l];
                    s += u * u;
                }
                final double d = Math.sqrt(s) * scale;
                dist[a * m + b] = d;
                dist[b * m + a] = d;
            }
        }
        final int k = Math.min(DPC_K, m - 1);
        final double[] rho = new double[m];
        final double[] row = new double[m];
        for (int a = 0; a < m; a++) {
            if (k == 0) {
                rho[a] = 1.0;
                continue;
            }
            System.arraycopy(dist, a * m, row, 0, m);
            row[a] = Double.POSITIVE_INFINITY;
            java.util.Arrays.sort(row);
            double s = 0;
            for (int j = 0; j < k; j++) {
                s += row[j] * row[j];
            }
            rho[a] = Math.exp(-s / k);
        }
        final double[] score = new double[m];
        double maxDist = 0;
        for (int i = 0; i < m * m; i++) {
            maxDist = Math.max(maxDist, dist[i]);
        }
        for (int a = 0; a < m; a++) {
            double delta = Double.POSITIVE_INFINITY;
            for (int b = 0; b < m; b++) {
                if (rho[b] > rho[a] || (rho[b] == rho[a] && b < a)) {
                    delta = Math.min(delta, dist[a * m + b]);
                }
            }
            score[a] = rho[a] * (Double.isInfinite(delta) ? maxDist : delta);
        }
        final int[] top = Tokens.topK(score, q);
        final int[] out = new int[top.length];
        for (int i = 0; i < top.length; i++) {
            out[i] = cand[top[i]];
        }
        return out;
    }

    private static void assignNearestSalient(
            final float[] video,
            final int tokens,
            final int dim,
            final int[] seg,
            final boolean[] isSalient,
            final int[] assignment) {
        for (int i = seg[0] * tokens; i < seg[1] * tokens; i++) {
            if (isSalient[i]) {
                continue;
            }
            double best = Double.NEGATIVE_INFINITY;
            for (int j = seg[0] * tokens; j < seg[1] * tokens; j++) {
                if (isSalient[j]) {
                    final double s = Tokens.cos(video, i, video, j, dim);
                    if (s > best) {
                        best = s;
                        assignment[i] = assignment[j];
                    }
                }
            }
        }
    }
}
