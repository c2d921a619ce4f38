package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions.CheckEnabled;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.exec.LocalExecutor;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.DirectionMethod;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * One {@link LbfgsSuperstep} pipeline on the DirectRunner with its immutability and encodability
 * enforcement on (so no DoFn mutates its input and every element survives its coder), checked against
 * the analytic value at W = 0 and against {@link LocalExecutor}'s bits.
 */
@ExtendWith(TestPipelineExtension.class)
class LbfgsSuperstepTest {
  private static final int CLASSES = 3;
  private static final int BLOCKS = 2;

  @TempDir
  Path tmp;

  private String state;
  private SparseDataset data;
  private ObjectiveSpec spec;
  private PartitionedObjective objective;
  private double[][] x0;

  @BeforeEach
  void writeData() throws IOException {
    // N = 6 examples, D = 4 features, K = 3 classes (labels 1, 2, 3).
    data = SparseDataset.of(4, new int[] {1, 2, 3},
        new int[] {0, 2, 3, 5, 6, 8, 9},
        new int[] {0, 2, 1, 0, 3, 2, 1, 3, 0},
        new double[] {1.0, -0.5, 2.0, 0.25, 1.5, -1.0, 0.75, 3.0, -2.0},
        new int[] {0, 1, 2, 0, 1, 2});
    Path prepared = tmp.resolve("data.bin");
    try (OutputStream out = Files.newOutputStream(prepared)) {
      DatasetFile.write(data, out);
    }
    spec = new ObjectiveSpec(ObjectiveSpec.Model.SOFTMAX, 0.1, BLOCKS, prepared.toString());
    objective = ObjectiveCache.build(spec, data);
    state = tmp.resolve("state").toString();
    x0 = new double[BLOCKS][];
    for (int b = 0; b < BLOCKS; b++) {
      x0[b] = new double[objective.partitioning().blockSize(b)];
      BlockFiles.write(state, "x-0", b, x0[b]);
    }
  }

  @Test
  void firstSuperstepEvaluatesLogKAndTheLocalGradient(TestPipeline pipeline) throws Exception {
    assertEnforcementOn(pipeline);
    Superstep first = new LbfgsCoordinator(LbfgsOptions.defaults()).start().pending();
    assertEquals(Superstep.Direction.NONE, first.direction());

    pipeline.apply(LbfgsSuperstep.of(first).withStateDirectory(state).withObjective(spec));
    pipeline.run().waitUntilFinish();

    SuperstepResult beam = SuperstepResultCodec.decode(0,
        BlockFiles.read(state, LbfgsSuperstep.resultName(0), 0));
    double logK = Math.log(CLASSES);
    assertEquals(logK, beam.trial().value(), 1e-15 * logK, "f at W = 0");
    assertTrue(beam.trial().finite());
    assertEquals(first.trialId(), beam.trial().id());
    assertNull(beam.gramDots());

    try (LocalExecutor local = new LocalExecutor(objective, x0, 1)) {
      SuperstepResult expected = local.execute(first);
      assertEquals(expected.trial(), beam.trial()); // record equality: doubles compared bitwise
      assertEquals(expected.initialSlope(), beam.initialSlope(), 0.0);
      assertEquals(expected.directionMaxAbs(), beam.directionMaxAbs(), 0.0);
      assertGradientsEqual(local.gradient(first.trialId()), "g-" + first.trialId());
    }
    assertFalse(Files.exists(tmp.resolve("state").resolve("d-0")), "no direction is formed");
  }

  @Test
  void secondSuperstepFormsTheSteepestDirectionOfTheLocalExecutor(TestPipeline pipeline)
      throws Exception {
    assertEnforcementOn(pipeline);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(LbfgsOptions.defaults());
    LbfgsState start = coordinator.start();
    try (LocalExecutor local = new LocalExecutor(objective, x0, 1)) {
      SuperstepResult r0 = local.execute(start.pending());
      assertTrue(r0.linearMargins(), "softmax margins are linear in W");
      double[][] g0 = local.gradient(0);
      for (int b = 0; b < BLOCKS; b++) {
        BlockFiles.write(state, "g-0", b, g0[b]);
        BlockFiles.write(state, "zx-0", b, local.pointMargins(0)[b]);
      }
      Superstep second = coordinator.advance(start, r0).pending();
      assertEquals(Superstep.Direction.STEEPEST, second.direction());
      assertTrue(second.hasTrial());

      pipeline.apply(LbfgsSuperstep.of(second).withStateDirectory(state).withObjective(spec));
      pipeline.run().waitUntilFinish();

      SuperstepResult expected = local.execute(second);
      SuperstepResult beam = SuperstepResultCodec.decode(second.number(),
          BlockFiles.read(state, LbfgsSuperstep.resultName(second.number()), 0));
      assertEquals(expected.trial(), beam.trial());
      assertEquals(expected.initialSlope(), beam.initialSlope(), 0.0);
      assertEquals(expected.directionMaxAbs(), beam.directionMaxAbs(), 0.0);
      assertTrue(beam.initialSlope() < 0, "a descent direction");
      assertGradientsEqual(local.gradient(second.trialId()), "g-" + second.trialId());
      for (int b = 0; b < BLOCKS; b++) {
        double[] d = BlockFiles.read(state, "d-" + second.number(), b);
        double[] steepest = new double[g0[b].length];
        for (int j = 0; j < steepest.length; j++) {
          steepest[j] = -second.gamma() * g0[b][j];
        }
        Bits.assertSame(steepest, d, "d block " + b);
        Bits.assertSame(local.directionMargins(second.number())[b],
            BlockFiles.read(state, "zd-" + second.number(), b), "zd block " + b);
      }
    }
  }

  /**
   * The first superstep that commits an accepted trial and pushes a pair, then forms a quasi-Newton
   * direction from it (two-loop: 2 chained DotProducts; vector-free: one Gram reduction) and evaluates
   * the next trial: every stored vector and scalar equals the local executor's.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(DirectionMethod.class)
  void firstCommitSuperstepMatchesTheLocalExecutor(DirectionMethod method, TestPipeline pipeline)
      throws Exception {
    assertEnforcementOn(pipeline);
    if (method == DirectionMethod.TWO_LOOP) {
      // Work-around for the duplicate step names of twoLoopCommitSuperstepHasStableUniqueNames: let
      // Beam rename them (and warn) instead of failing validation, so the numbers are checked.
      pipeline.getOptions().setStableUniqueNames(CheckEnabled.WARNING);
    }
    try (LocalExecutor local = new LocalExecutor(objective, x0, 1)) {
      Superstep step = storeUpToFirstCommit(method, local);
      Superstep.Commit commit = step.commit();
      assertTrue(commit.push(), "the commit keeps its pair");
      assertEquals(method == DirectionMethod.TWO_LOOP ? Superstep.Direction.TWO_LOOP
          : Superstep.Direction.VECTOR_FREE, step.direction());
      // Copies: the executor's commit writes y over the old gradient (LocalExecutor: read its
      // arrays before the next execute).
      double[][] g = copy(local.gradient(step.gId()));
      double[][] ge = copy(local.gradient(commit.evaluationId()));
      double[][] d = new double[BLOCKS][];
      for (int b = 0; b < BLOCKS; b++) {
        d[b] = BlockFiles.read(state, "d-" + step.dId(), b);
      }

      pipeline.apply(LbfgsSuperstep.of(step).withStateDirectory(state).withObjective(spec));
      pipeline.run().waitUntilFinish();

      SuperstepResult expected = local.execute(step);
      SuperstepResult beam = SuperstepResultCodec.decode(step.number(),
          BlockFiles.read(state, LbfgsSuperstep.resultName(step.number()), 0));
      assertEquals(expected.trial(), beam.trial());
      assertEquals(expected.initialSlope(), beam.initialSlope(), 0.0);
      assertEquals(expected.directionMaxAbs(), beam.directionMaxAbs(), 0.0);
      assertTrue(Bits.same(expected.gramDots(), beam.gramDots()), "Gram entries");
      assertEquals(method == DirectionMethod.VECTOR_FREE, beam.gramDots() != null);
      if (expected.trial().hasGradient()) {
        assertGradientsEqual(local.gradient(step.trialId()), "g-" + step.trialId());
      } else {
        assertFalse(Files.exists(tmp.resolve("state").resolve("g-" + step.trialId())),
            "no gradient pass for a trial the line search cannot accept");
      }
      long id = commit.evaluationId();
      for (int b = 0; b < BLOCKS; b++) {
        Bits.assertSame(local.point(id)[b], BlockFiles.read(state, "x-" + id, b), "x block " + b);
        Bits.assertSame(local.pointMargins(id)[b], BlockFiles.read(state, "zx-" + id, b),
            "zx block " + b);
        Bits.assertSame(local.directionMargins(step.number())[b],
            BlockFiles.read(state, "zd-" + step.number(), b), "zd block " + b);
        Bits.assertSame(BlockKernels.step(commit.step(), d[b]), BlockFiles.read(state, "s-" + id, b),
            "s block " + b);
        Bits.assertSame(BlockKernels.difference(ge[b], g[b]), BlockFiles.read(state, "y-" + id, b),
            "y block " + b);
        assertEquals(g[b].length, BlockFiles.read(state, "d-" + step.number(), b).length);
      }
    }
  }

  /**
   * Every step of a superstep pipeline has a stable unique name (TestPipeline validates with
   * {@code stableUniqueNames=ERROR}).
   */
  @Test
  void twoLoopCommitSuperstepHasStableUniqueNames(TestPipeline pipeline) throws Exception {
    try (LocalExecutor local = new LocalExecutor(objective, x0, 1)) {
      Superstep step = storeUpToFirstCommit(DirectionMethod.TWO_LOOP, local);
      pipeline.apply(LbfgsSuperstep.of(step).withStateDirectory(state).withObjective(spec));
      pipeline.run().waitUntilFinish();
    }
  }

  @Test
  void expandWithoutStateDirectoryOrObjectiveIsRejected() {
    Superstep first = new LbfgsCoordinator(LbfgsOptions.defaults()).start().pending();
    assertThrows(IllegalArgumentException.class, () -> LbfgsSuperstep.of(null));
    assertThrows(IllegalArgumentException.class,
        () -> LbfgsSuperstep.of(first).withStateDirectory(""));
    assertThrows(IllegalArgumentException.class, () -> LbfgsSuperstep.of(first).withObjective(null));
  }

  /**
   * Runs the supersteps before the first commit on {@code local} (the start point, then the steepest
   * descent direction d-1 and the line search's trials along it) and stores what the pipelines read:
   * every trial gradient that was computed, d-1, and the margins zx-0 and zd-1. Returns the first
   * superstep with a commit.
   */
  private Superstep storeUpToFirstCommit(DirectionMethod method, LocalExecutor local)
      throws Exception {
    LbfgsCoordinator coordinator =
        new LbfgsCoordinator(LbfgsOptions.defaults().withDirectionMethod(method));
    LbfgsState s = coordinator.start();
    while (s.pending() != null && s.pending().commit() == null) {
      Superstep step = s.pending();
      SuperstepResult r = local.execute(step);
      if (step.formsDirection()) {
        assertEquals(Superstep.Direction.STEEPEST, step.direction());
        double[][] g = local.gradient(step.gId());
        for (int b = 0; b < BLOCKS; b++) {
          BlockFiles.write(state, "d-" + step.number(), b,
              BlockKernels.steepest(g[b], step.gamma()));
          BlockFiles.write(state, "zd-" + step.number(), b,
              local.directionMargins(step.number())[b]);
        }
      }
      if (step.direction() == Superstep.Direction.NONE) {
        for (int b = 0; b < BLOCKS; b++) {
          BlockFiles.write(state, "zx-" + step.xId(), b, local.pointMargins(step.xId())[b]);
        }
      }
      if (r.trial().hasGradient()) {
        for (int b = 0; b < BLOCKS; b++) {
          BlockFiles.write(state, "g-" + step.trialId(), b, local.gradient(step.trialId())[b]);
        }
      }
      s = coordinator.advance(s, r);
    }
    assertNotNull(s.pending(), "the run stopped before its first commit: " + s.stopReason());
    return s.pending();
  }

  private void assertGradientsEqual(double[][] expected, String vector) throws IOException {
    boolean nonZero = false;
    for (int b = 0; b < BLOCKS; b++) {
      double[] stored = BlockFiles.read(state, vector, b);
      Bits.assertSame(expected[b], stored, vector + " block " + b);
      for (double v : stored) {
        nonZero |= v != 0;
      }
    }
    assertTrue(nonZero, vector + " is zero: the comparison would prove little");
  }

  private static void assertEnforcementOn(TestPipeline pipeline) {
    assertEquals(DirectRunner.class, pipeline.getOptions().getRunner());
    DirectOptions direct = pipeline.getOptions().as(DirectOptions.class);
    assertTrue(direct.isEnforceImmutability(), "immutability enforcement is off");
    assertTrue(direct.isEnforceEncodability(), "encodability enforcement is off");
  }

  private static double[][] copy(double[][] blocks) {
    double[][] out = new double[blocks.length][];
    for (int b = 0; b < blocks.length; b++) {
      out[b] = blocks[b].clone();
    }
    return out;
  }
}
