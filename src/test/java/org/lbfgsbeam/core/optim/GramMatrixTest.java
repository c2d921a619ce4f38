package org.lbfgsbeam.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link GramMatrix} kept current by {@link GramMatrix#newPairs} and {@link GramMatrix#updated}
 * against the Gram matrix of the basis [s_0..s_{h-1}, y_0..y_{h-1}, g] computed directly.
 *
 * <p>Every entry of an updated matrix is either a dot product the test supplies or one carried over
 * from an earlier matrix, and the test computes all of them with one {@link #dot} in one summation
 * order; so the comparison is exact (tolerance 0): any misplaced or stale entry fails it.
 */
class GramMatrixTest {

  static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int j = 0; j < a.length; j++) {
      sum += a[j] * b[j];
    }
    return sum;
  }

  /** The L-BFGS history as dense vectors, oldest pair first, with its Gram matrix kept alongside. */
  static final class History {
    final int m;
    final List<double[]> s = new ArrayList<>();
    final List<double[]> y = new ArrayList<>();
    double[] g;
    GramMatrix gram = GramMatrix.empty();

    History(int m) {
      this.m = m;
    }

    double[][] basis() {
      int h = s.size();
      double[][] b = new double[2 * h + 1][];
      for (int i = 0; i < h; i++) {
        b[GramMatrix.s(i)] = s.get(i);
        b[GramMatrix.y(h, i)] = y.get(i);
      }
      b[GramMatrix.g(h)] = g;
      return b;
    }

    /** Commit: optionally push (s, y), move to gradient g, update the Gram matrix as a superstep does. */
    void commit(double[] newS, double[] newY, double[] newG, boolean push, boolean reset) {
      if (reset) {
        s.clear();
        y.clear();
      }
      if (push) {
        s.add(newS);
        y.add(newY);
        if (s.size() > m) {
          s.remove(0);
          y.remove(0);
        }
      }
      g = newG;
      double[][] basis = basis();
      int[] plan = GramMatrix.newPairs(s.size(), push);
      double[] dots = new double[plan.length / 2];
      for (int k = 0; k < dots.length; k++) {
        dots[k] = dot(basis[plan[2 * k]], basis[plan[2 * k + 1]]);
      }
      gram = gram.updated(m, push, reset, dots);
    }

    void assertGramIsDirect(String when) {
      double[][] basis = basis();
      assertEquals(s.size(), gram.pairs(), when + ": pairs");
      assertEquals(basis.length, gram.size(), when + ": size");
      for (int i = 0; i < basis.length; i++) {
        for (int j = 0; j < basis.length; j++) {
          assertEquals(dot(basis[i], basis[j]), gram.get(i, j), 0,
              when + ": entry (" + i + ", " + j + ")");
        }
      }
    }
  }

  static double[] randomVector(Random random, int n) {
    double[] v = new double[n];
    for (int j = 0; j < n; j++) {
      v[j] = random.nextGaussian();
    }
    return v;
  }

  /**
   * m = 3: two pushes, a skipped pair (no push), pushes until the history is full and the oldest
   * pair is dropped twice, another skip, then a reset followed by a push.
   */
  @Test
  void updatesReproduceTheDirectGramMatrix() {
    Random random = new Random(7);
    int n = 9;
    History h = new History(3);
    boolean[] pushes = {true, true, false, true, true, true, false, true};
    for (int k = 0; k < pushes.length; k++) {
      h.commit(randomVector(random, n), randomVector(random, n), randomVector(random, n), pushes[k],
          false);
      h.assertGramIsDirect("commit " + k + " (push " + pushes[k] + ")");
    }
    assertEquals(3, h.gram.pairs());
    h.commit(randomVector(random, n), randomVector(random, n), randomVector(random, n), true, true);
    h.assertGramIsDirect("reset, then push");
    assertEquals(1, h.gram.pairs());
    h.commit(null, null, randomVector(random, n), false, true);
    h.assertGramIsDirect("reset without push");
    assertEquals(0, h.gram.pairs());
  }

  /** A history of one pair replaces it at every push. */
  @Test
  void historyOfOne() {
    Random random = new Random(11);
    History h = new History(1);
    for (int k = 0; k < 4; k++) {
      h.commit(randomVector(random, 5), randomVector(random, 5), randomVector(random, 5), true,
          false);
      h.assertGramIsDirect("commit " + k);
    }
  }

  /**
   * newPairs lists every unordered pair {a, b} of the new basis that involves a new vector exactly
   * once, with a new vector first, and no pair of two surviving vectors.
   */
  @ParameterizedTest
  @CsvSource({"0, false", "1, true", "1, false", "2, true", "3, true", "3, false", "5, true"})
  void newPairsCoverEveryNewDotOnce(int pairs, boolean push) {
    int size = 2 * pairs + 1;
    Set<Integer> fresh = new HashSet<>();
    fresh.add(GramMatrix.g(pairs));
    if (push) {
      fresh.add(GramMatrix.s(pairs - 1));
      fresh.add(GramMatrix.y(pairs, pairs - 1));
    }
    int[] plan = GramMatrix.newPairs(pairs, push);
    assertEquals(0, plan.length % 2);
    Set<Long> seen = new HashSet<>();
    for (int k = 0; k < plan.length; k += 2) {
      int a = plan[k];
      int b = plan[k + 1];
      assertTrue(fresh.contains(a), "first index " + a + " is not a new vector");
      assertTrue(b >= 0 && b < size, "index " + b + " outside the basis of " + size);
      long key = (long) Math.min(a, b) * size + Math.max(a, b);
      assertTrue(seen.add(key), "pair (" + a + ", " + b + ") listed twice");
    }
    int expected = 0;
    for (int a = 0; a < size; a++) {
      for (int b = a; b < size; b++) {
        if (fresh.contains(a) || fresh.contains(b)) {
          expected++;
        }
      }
    }
    assertEquals(expected, seen.size());
  }

  @Test
  void emptyHasOnlyAnUnknownGradientNorm() {
    GramMatrix e = GramMatrix.empty();
    assertEquals(0, e.pairs());
    assertEquals(1, e.size());
    assertTrue(Double.isNaN(e.get(0, 0)));
  }

  @Test
  void ofCopiesAndValidates() {
    double[] entries = {1, 2, 3, 2, 4, 5, 3, 5, 6};
    GramMatrix m = GramMatrix.of(1, entries);
    entries[0] = 99;
    assertEquals(1, m.get(0, 0), 0);
    assertEquals(5, m.get(2, 1), 0);
    double[] copy = m.entries();
    copy[1] = 99;
    assertEquals(2, m.get(0, 1), 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GramMatrix.of(2, new double[9]));
    assertEquals("Gram matrix of 2 pairs needs 25 entries, but got: 9", e.getMessage());
  }

  @Test
  void updatedRejectsTheWrongNumberOfDots() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GramMatrix.empty().updated(3, true, false, new double[2]));
    assertEquals("expected 6 new dot products, but got: 2", e.getMessage());
  }

  @Test
  void pairsAfterACommit() {
    assertEquals(1, GramMatrix.pairsAfter(0, 3, true));
    assertEquals(3, GramMatrix.pairsAfter(3, 3, true));
    assertEquals(2, GramMatrix.pairsAfter(2, 3, false));
    assertEquals(4, GramMatrix.g(2));
    assertEquals(3, GramMatrix.y(2, 1));
  }
}
