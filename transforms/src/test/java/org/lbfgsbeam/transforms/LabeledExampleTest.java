package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.transforms.SoftmaxScoring.BlockScores;

/** The value types of scoring and training input: validation, immutability, deterministic coders. */
class LabeledExampleTest {
  private static final List<SparseFeatures> FEATURES = List.of(
      SparseFeatures.empty(),
      SparseFeatures.of(new int[] {1}, new double[] {-0.0}),
      SparseFeatures.of(new int[] {3, 4, 1000, Integer.MAX_VALUE},
          new double[] {0.5, -1e-300, Double.MAX_VALUE, Double.MIN_VALUE}));

  @Test
  void rejectsInvalidFeaturesNamingTheBadValue() {
    assertEquals("indices and values must have the same length, but had: 2 and 1",
        assertThrows(IllegalArgumentException.class,
            () -> SparseFeatures.of(new int[] {1, 2}, new double[] {1})).getMessage());
    assertEquals("feature indices are 1-based: indices[0] must be >= 1, but was: 0",
        assertThrows(IllegalArgumentException.class,
            () -> SparseFeatures.of(new int[] {0}, new double[] {1})).getMessage());
    assertEquals("feature indices must be strictly ascending, but indices[2] = 5 follows 7",
        assertThrows(IllegalArgumentException.class,
            () -> LabeledExample.of(1, new int[] {2, 7, 5}, new double[] {1, 2, 3})).getMessage());
    assertEquals("feature indices must be strictly ascending, but indices[1] = 2 follows 2",
        assertThrows(IllegalArgumentException.class,
            () -> SparseFeatures.of(new int[] {2, 2}, new double[] {1, 2})).getMessage());
    assertEquals("values[1] (feature 4) must be finite, but was: NaN",
        assertThrows(IllegalArgumentException.class,
            () -> SparseFeatures.of(new int[] {1, 4}, new double[] {1, Double.NaN})).getMessage());
    assertEquals("dense[2] must be finite, but was: Infinity",
        assertThrows(IllegalArgumentException.class,
            () -> SparseFeatures.fromDense(new double[] {0, 1, Double.POSITIVE_INFINITY}))
            .getMessage());
    assertEquals("features must not be null", assertThrows(IllegalArgumentException.class,
        () -> LabeledExample.of(1, null)).getMessage());
  }

  @Test
  void copiesArraysInAndOut() {
    int[] idx = {2, 5};
    double[] val = {1.5, -2};
    LabeledExample e = LabeledExample.of(-3, idx, val);
    idx[0] = 1;
    val[0] = 99;
    e.indices()[1] = 7;
    e.values()[1] = 7;
    assertArrayEquals(new int[] {2, 5}, e.indices());
    assertArrayEquals(new double[] {1.5, -2}, e.values());
    assertEquals("-3 2:1.5 5:-2.0", e.toString());
    assertEquals("4", LabeledExample.of(4, SparseFeatures.empty()).toString());
  }

  @Test
  void denseAndTruncated() {
    SparseFeatures x = SparseFeatures.fromDense(new double[] {0, 0.25, 0, -1, 0, 3});
    assertArrayEquals(new int[] {2, 4, 6}, x.indices());
    assertArrayEquals(new double[] {0.25, -1, 3}, x.values());
    assertEquals(6, x.maxIndex());
    assertEquals(SparseFeatures.of(new int[] {2, 4}, new double[] {0.25, -1}), x.truncatedTo(5));
    assertSame(x, x.truncatedTo(6));
    assertEquals(SparseFeatures.empty(), x.truncatedTo(1));
    assertEquals(0, SparseFeatures.empty().maxIndex());
  }

  @Test
  void equalityIsBitwiseOnValues() {
    assertNotEquals(SparseFeatures.of(new int[] {1}, new double[] {0.0}),
        SparseFeatures.of(new int[] {1}, new double[] {-0.0}));
    assertEquals(LabeledExample.of(2, new int[] {1}, new double[] {0.5}),
        LabeledExample.of(2, new int[] {1}, new double[] {0.5}));
    assertNotEquals(LabeledExample.of(2, new int[] {1}, new double[] {0.5}),
        LabeledExample.of(3, new int[] {1}, new double[] {0.5}));
  }

  @Test
  void coderRoundTripsAndIsDeterministic() throws Exception {
    Coder<LabeledExample> coder = LabeledExample.LabeledExampleCoder.of();
    for (SparseFeatures x : FEATURES) {
      for (int label : new int[] {0, 1, -1, 63, -64, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
        LabeledExample e = LabeledExample.of(label, x);
        CoderProperties.coderDecodeEncodeEqual(coder, e);
        CoderProperties.coderDeterministic(coder, e, LabeledExample.of(label, x));
        CoderProperties.coderConsistentWithEquals(coder, e, LabeledExample.of(label, x));
        CoderProperties.structuralValueDecodeEncodeEqual(coder, e);
      }
      CoderProperties.coderDecodeEncodeEqual(SparseFeatures.SparseFeaturesCoder.of(), x);
    }
    coder.verifyDeterministic();
    CoderProperties.coderSerializable(coder);
    // -0.0 keeps its sign through the coder.
    LabeledExample negativeZero = CoderUtils.clone(coder, LabeledExample.of(1, FEATURES.get(1)));
    assertEquals(Double.doubleToRawLongBits(-0.0),
        Double.doubleToRawLongBits(negativeZero.values()[0]));
  }

  @Test
  void encodingIsPinned() throws Exception {
    // label -1 zig-zags to 1; 2 entries; gaps 3, 2; then 0.5 and -2 big-endian.
    byte[] bytes = CoderUtils.encodeToByteArray(LabeledExample.LabeledExampleCoder.of(),
        LabeledExample.of(-1, new int[] {3, 5}, new double[] {0.5, -2}));
    assertEquals("01" + "02" + "0302" + "3fe0000000000000" + "c000000000000000", hex(bytes));
  }

  @Test
  void decodingRejectsCorruptFeatures() throws Exception {
    // One entry with index gap 0: index 0 is not 1-based.
    byte[] bytes = {1, 0, 0x3f, (byte) 0xf0, 0, 0, 0, 0, 0, 0};
    CoderException e = assertThrows(CoderException.class,
        () -> CoderUtils.decodeFromByteArray(SparseFeatures.SparseFeaturesCoder.of(), bytes));
    assertEquals("corrupt SparseFeatures: feature indices are 1-based: indices[0] must be >= 1,"
        + " but was: 0", e.getMessage());
  }

  @Test
  void coderRegistryFindsTheDefaultCoders() throws Exception {
    CoderRegistry registry = CoderRegistry.createDefault();
    assertSame(LabeledExample.LabeledExampleCoder.of(), registry.getCoder(LabeledExample.class));
    assertSame(SparseFeatures.SparseFeaturesCoder.of(), registry.getCoder(SparseFeatures.class));
    assertSame(Prediction.PredictionCoder.of(), registry.getCoder(Prediction.class));
  }

  @Test
  void predictionValidatesAndRoundTrips() throws Exception {
    Prediction p = Prediction.of(-7L, new int[] {3, -1}, new double[] {0.75, 0.25});
    assertEquals(3, p.label());
    assertEquals(0.75, p.probability());
    assertEquals("Prediction{id=-7, 3 (p=0.75), -1 (p=0.25)}", p.toString());
    CoderProperties.coderDecodeEncodeEqual(Prediction.PredictionCoder.of(), p);
    CoderProperties.coderDeterministic(Prediction.PredictionCoder.of(), p,
        Prediction.of(-7L, new int[] {3, -1}, new double[] {0.75, 0.25}));
    assertEquals("a prediction needs at least one label, but had: 0",
        assertThrows(IllegalArgumentException.class,
            () -> Prediction.of(1, new int[0], new double[0])).getMessage());
    assertEquals("labels and probabilities must have the same length, but had: 1 and 2",
        assertThrows(IllegalArgumentException.class,
            () -> Prediction.of(1, new int[] {1}, new double[] {0.5, 0.5})).getMessage());
    assertEquals("probabilities must be in [0, 1], but probability 0 of example 4 was: NaN",
        assertThrows(IllegalArgumentException.class,
            () -> Prediction.of(4, new int[] {1}, new double[] {Double.NaN})).getMessage());
  }

  @Test
  void blockScoresCoderRoundTrips() throws Exception {
    BlockScores s = new BlockScores(2, 1.5, 1.25, new int[] {4, 5}, new double[] {1.5, -0.0});
    CoderProperties.coderDecodeEncodeEqual(SoftmaxScoring.BlockScoresCoder.of(), s);
    CoderProperties.coderDeterministic(SoftmaxScoring.BlockScoresCoder.of(), s,
        new BlockScores(2, 1.5, 1.25, new int[] {4, 5}, new double[] {1.5, -0.0}));
    CoderProperties.coderDecodeEncodeEqual(SoftmaxScoring.BlockScoresCoder.of(),
        new BlockScores(0, Double.NEGATIVE_INFINITY, 0, new int[0], new double[0]));
  }

  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) {
      s.append(String.format("%02x", b));
    }
    return s.toString();
  }
}
