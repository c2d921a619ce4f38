package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link LearningRateSchedule}: each schedule at hand-computed steps. Where the values are dyadic
 * (products of the rate by powers of two) they are exact and asserted exactly; where a cosine or a
 * decimal gamma is involved, 1e-15 on rates &le; 1 allows a few ulps of rounding.
 */
class LearningRateScheduleTest {

  @Test
  void constantIsTheSameAtEveryStep() {
    LearningRateSchedule s = LearningRateSchedule.constant(0.3);
    assertEquals(0.3, s.at(0));
    assertEquals(0.3, s.at(1));
    assertEquals(0.3, s.at(1_000_000_000_000L));
  }

  /** lr &middot; gamma^floor(t / k) with lr = 0.1, gamma = 0.5, k = 3: halvings are exact. */
  @Test
  void stepDecaysByGammaEveryKSteps() {
    LearningRateSchedule s = LearningRateSchedule.step(0.1, 0.5, 3);
    double[] expected = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025};
    for (int t = 0; t < expected.length; t++) {
      assertEquals(expected[t], s.at(t), "step " + t);
    }
    assertEquals(0.1 / 1024, s.at(30)); // 10 halvings
  }

  /** gamma = 0.1 (torch's usual value): 1, 1, 0.1, 0.1, 0.01, to rounding of 0.1 &middot; 0.1. */
  @Test
  void stepWithDecimalGamma() {
    LearningRateSchedule s = LearningRateSchedule.step(1.0, 0.1, 2);
    assertEquals(1.0, s.at(0));
    assertEquals(1.0, s.at(1));
    assertEquals(0.1, s.at(2), 1e-15);
    assertEquals(0.1, s.at(3), 1e-15);
    assertEquals(0.01, s.at(4), 1e-15);
  }

  /**
   * lr = 1, minLr = 0, T = 4: &frac12;(1 + cos(&pi;t/4)) = 1, &frac12; + &radic;2/4, &frac12;,
   * &frac12; &minus; &radic;2/4, 0, then 0 for every t &gt; T.
   */
  @Test
  void cosineFromLrToZero() {
    LearningRateSchedule s = LearningRateSchedule.cosine(1.0, 4, 0);
    double r = Math.sqrt(2) / 4;
    double[] expected = {1, 0.5 + r, 0.5, 0.5 - r, 0};
    for (int t = 0; t < expected.length; t++) {
      assertEquals(expected[t], s.at(t), 1e-15, "step " + t);
    }
    assertEquals(1.0, s.at(0)); // cos(0) = 1 exactly
    assertEquals(0.0, s.at(4)); // the end of the cycle is exact
    assertEquals(0.0, s.at(1000));
  }

  /** lr = 0.5, minLr = 0.1, T = 2: 0.5, 0.1 + 0.2 &middot; (1 + cos(&pi;/2)) = 0.3, 0.1, 0.1. */
  @Test
  void cosineToAFloor() {
    LearningRateSchedule s = LearningRateSchedule.cosine(0.5, 2, 0.1);
    assertEquals(0.5, s.at(0), 1e-15);
    assertEquals(0.3, s.at(1), 1e-15);
    assertEquals(0.1, s.at(2));
    assertEquals(0.1, s.at(3));
  }

  /** w = 4 on a constant 0.5: 0.5 &middot; (t + 1)/4 = 0.125, 0.25, 0.375, then 0.5 from t = 3 on. */
  @Test
  void warmupRampsLinearlyFromLrOverW() {
    LearningRateSchedule s = LearningRateSchedule.withWarmup(LearningRateSchedule.constant(0.5), 4);
    double[] expected = {0.125, 0.25, 0.375, 0.5, 0.5, 0.5};
    for (int t = 0; t < expected.length; t++) {
      assertEquals(expected[t], s.at(t), "step " + t);
    }
  }

  /**
   * The wrapped schedule sees the absolute step: warm-up w = 4 over step(1, 0.5, 2) gives
   * 1 &middot; 1/4, 1 &middot; 2/4, 0.5 &middot; 3/4, 0.5 &middot; 4/4, then 0.25 at t = 4 (the decay
   * of t = 4 is not delayed by the warm-up).
   */
  @Test
  void warmupMultipliesTheUnshiftedSchedule() {
    LearningRateSchedule s =
        LearningRateSchedule.withWarmup(LearningRateSchedule.step(1.0, 0.5, 2), 4);
    double[] expected = {0.25, 0.5, 0.375, 0.5, 0.25, 0.25, 0.125};
    for (int t = 0; t < expected.length; t++) {
      assertEquals(expected[t], s.at(t), "step " + t);
    }
  }

  @Test
  void warmupOfZeroOrOneStepChangesNothing() {
    LearningRateSchedule cosine = LearningRateSchedule.cosine(0.8, 10, 0.05);
    LearningRateSchedule none = LearningRateSchedule.withWarmup(cosine, 0);
    LearningRateSchedule one = LearningRateSchedule.withWarmup(cosine, 1);
    for (long t = 0; t < 12; t++) {
      assertEquals(cosine.at(t), none.at(t), "step " + t);
      assertEquals(cosine.at(t), one.at(t), "step " + t);
    }
  }

  /** The records compare by value and survive Java serialisation (Beam ships them to workers). */
  @Test
  void schedulesAreSerializableValues() throws Exception {
    LearningRateSchedule s =
        LearningRateSchedule.withWarmup(LearningRateSchedule.cosine(0.1, 100, 0.001), 5);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    Object back;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = in.readObject();
    }
    assertEquals(s, back);
    assertEquals(s.at(37), ((LearningRateSchedule) back).at(37));
  }

  @Test
  void invalidArgumentsNameTheBadValue() {
    assertMessage("learning rate must be finite and positive, but was: 0.0",
        () -> LearningRateSchedule.constant(0));
    assertMessage("learning rate must be finite and positive, but was: NaN",
        () -> LearningRateSchedule.constant(Double.NaN));
    assertMessage("learning rate must be finite and positive, but was: Infinity",
        () -> LearningRateSchedule.step(Double.POSITIVE_INFINITY, 0.1, 1));
    assertMessage("gamma must be in (0, 1], but was: 1.5",
        () -> LearningRateSchedule.step(0.1, 1.5, 10));
    assertMessage("gamma must be in (0, 1], but was: 0.0",
        () -> LearningRateSchedule.step(0.1, 0, 10));
    assertMessage("everySteps must be positive, but was: 0",
        () -> LearningRateSchedule.step(0.1, 0.1, 0));
    assertMessage("totalSteps must be positive, but was: 0",
        () -> LearningRateSchedule.cosine(0.1, 0, 0));
    assertMessage("minLr must be in [0, lr = 0.1], but was: 0.2",
        () -> LearningRateSchedule.cosine(0.1, 10, 0.2));
    assertMessage("minLr must be in [0, lr = 0.1], but was: -0.01",
        () -> LearningRateSchedule.cosine(0.1, 10, -0.01));
    assertMessage("warmupSteps must be >= 0, but was: -1",
        () -> LearningRateSchedule.withWarmup(LearningRateSchedule.constant(0.1), -1));
    assertMessage("schedule must not be null, but was: null",
        () -> LearningRateSchedule.withWarmup(null, 3));
    assertMessage("step must be >= 0, but was: -1",
        () -> LearningRateSchedule.constant(0.1).at(-1));
  }

  private static void assertMessage(String expected, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertEquals(expected, e.getMessage());
  }
}
