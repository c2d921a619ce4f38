package org.lbfgsbeam.core.optim;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The Gram matrix B = b<sub>i</sub>&middot;b<sub>j</sub> of the vector-free L-BFGS basis
 * b = [s<sub>0</sub> &hellip; s<sub>h&minus;1</sub>, y<sub>0</sub> &hellip; y<sub>h&minus;1</sub>, g]
 * (oldest pair first), of size (2h+1)&times;(2h+1). Chen, Wang and Zhou (NIPS 2014) keep it current by
 * computing only the dot products that involve the vectors new in an iteration; {@link #newPairs} lists
 * them in a fixed order, the partitions compute them, and {@link #updated} merges their global sums.
 */
public final class GramMatrix implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int pairs;
  private final double[] entries; // row-major (2h+1) x (2h+1), symmetric

  private GramMatrix(int pairs, double[] entries) {
    this.pairs = pairs;
    this.entries = entries;
  }

  /** The Gram matrix of the basis [g] with g&middot;g unknown (filled by the first update). */
  public static GramMatrix empty() {
    return new GramMatrix(0, new double[] {Double.NaN});
  }

  /** A Gram matrix from its entries (row-major, size (2h+1)&sup2;), as stored between supersteps. */
  public static GramMatrix of(int pairs, double[] entries) {
    int size = 2 * pairs + 1;
    if (entries.length != size * size) {
      throw new IllegalArgumentException("Gram matrix of " + pairs + " pairs needs " + size * size
          + " entries, but got: " + entries.length);
    }
    return new GramMatrix(pairs, entries.clone());
  }

  /** h, the number of (s, y) pairs in the basis. */
  public int pairs() {
    return pairs;
  }

  /** 2h+1, the number of basis vectors. */
  public int size() {
    return 2 * pairs + 1;
  }

  /** b<sub>i</sub>&middot;b<sub>j</sub>. */
  public double get(int i, int j) {
    return entries[i * size() + j];
  }

  /** A copy of the row-major entries. */
  public double[] entries() {
    return entries.clone();
  }

  /** Index of s<sub>i</sub> in a basis of h pairs. */
  public static int s(int i) {
    return i;
  }

  /** Index of y<sub>i</sub> in a basis of h pairs. */
  public static int y(int pairs, int i) {
    return pairs + i;
  }

  /** Index of g in a basis of h pairs. */
  public static int g(int pairs) {
    return 2 * pairs;
  }

  /** The number of pairs after a commit from {@code pairs} with history m. */
  public static int pairsAfter(int pairs, int history, boolean push) {
    return push ? Math.min(pairs + 1, history) : pairs;
  }

  /**
   * The dot products new after a commit, as index pairs (a, b) into the new basis: the first index is a
   * new vector (s<sub>new</sub>, y<sub>new</sub> when the pair is pushed; always g<sub>new</sub>), and
   * each unordered pair appears once. Returns a flat array [a0, b0, a1, b1, &hellip;].
   *
   * @param newPairs h', the number of pairs in the new basis
   * @param push whether the commit pushed a new pair (it is then s<sub>h'&minus;1</sub>, y<sub>h'&minus;1</sub>)
   */
  public static int[] newPairs(int newPairs, boolean push) {
    int size = 2 * newPairs + 1;
    int[] fresh = push
        ? new int[] {s(newPairs - 1), y(newPairs, newPairs - 1), g(newPairs)}
        : new int[] {g(newPairs)};
    boolean[] isNew = new boolean[size];
    for (int a : fresh) {
      isNew[a] = true;
    }
    int[] out = new int[2 * size * fresh.length];
    int k = 0;
    for (int a : fresh) {
      for (int b = 0; b < size; b++) {
        if (isNew[b] && b < a) {
          continue; // already listed as (b, a)
        }
        out[k++] = a;
        out[k++] = b;
      }
    }
    return Arrays.copyOf(out, k);
  }

  /**
   * The Gram matrix after a commit: surviving entries kept, the oldest pair dropped when the history
   * was full, and the {@code newDots} (global sums in the order of {@link #newPairs}) filled in.
   *
   * @param reset whether the history was cleared before the commit (then no entries survive)
   */
  public GramMatrix updated(int history, boolean push, boolean reset, double[] newDots) {
    int oldPairs = reset ? 0 : pairs;
    int np = pairsAfter(oldPairs, history, push);
    int drop = push && oldPairs == history ? 1 : 0;
    int size = 2 * np + 1;
    double[] e = new double[size * size];
    Arrays.fill(e, Double.NaN);
    // Surviving pairs: old index i (i >= drop) -> new index i - drop.
    for (int i = drop; i < oldPairs; i++) {
      for (int j = drop; j < oldPairs; j++) {
        int ni = i - drop;
        int nj = j - drop;
        e[s(ni) * size + s(nj)] = get(s(i), s(j));
        e[s(ni) * size + y(np, nj)] = get(s(i), y(pairs, j));
        e[y(np, ni) * size + s(nj)] = get(y(pairs, i), s(j));
        e[y(np, ni) * size + y(np, nj)] = get(y(pairs, i), y(pairs, j));
      }
    }
    int[] plan = newPairs(np, push);
    if (newDots.length != plan.length / 2) {
      throw new IllegalArgumentException("expected " + plan.length / 2 + " new dot products, but got: "
          + newDots.length);
    }
    for (int k = 0; k < newDots.length; k++) {
      int a = plan[2 * k];
      int b = plan[2 * k + 1];
      e[a * size + b] = newDots[k];
      e[b * size + a] = newDots[k];
    }
    return new GramMatrix(np, e);
  }
}
