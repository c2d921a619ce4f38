package org.lbfgsbeam.core.kfac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LayerAssignmentTest {

  @Test
  void largestFirstToTheLeastLoadedWorker() {
    // By cost: 9 (l1) -> w0 [9,0,0]; 7 (l3) -> w1 [9,7,0]; 6 (l5) -> w2 [9,7,6]; 5 (l0) -> w2
    // [9,7,11]; 4 (l2) -> w1 [9,11,11]; 3 (l4) -> w0 [12,11,11].
    assertArrayEquals(new int[] {2, 0, 1, 1, 0, 2},
        LayerAssignment.greedy(new long[] {5, 9, 4, 7, 3, 6}, 3));
  }

  @Test
  void tiesGoToTheLowerLayerAndTheLowerWorker() {
    assertArrayEquals(new int[] {0, 1, 0}, LayerAssignment.greedy(new long[] {4, 4, 4}, 2));
    assertArrayEquals(new int[] {0, 1}, LayerAssignment.greedy(new long[] {1, 1}, 5));
    assertArrayEquals(new int[] {0, 0, 0}, LayerAssignment.greedy(new long[] {3, 1, 2}, 1));
  }

  @Test
  void costsAreTheCubesOfTheFactorOrders() {
    assertEquals(785L * 785 * 785 + 256L * 256 * 256, LayerAssignment.cost(784, 256));
    // 784 -> 256 -> 128 -> 10 on 2 workers: the first layer alone outweighs the others.
    assertArrayEquals(new int[] {0, 1, 1},
        LayerAssignment.forLayerSizes(new int[] {784, 256, 128, 10}, 2));
  }

  @Test
  void rejectsBadArguments() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LayerAssignment.greedy(new long[] {1}, 0));
    assertEquals("workers must be positive, but was: 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> LayerAssignment.greedy(new long[] {1, -2}, 2));
    assertEquals("costs[1] must be >= 0, but was: -2", e.getMessage());
  }
}
