package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.exec.LocalExecutor;
import org.lbfgsbeam.core.exec.SuperstepExecutor;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.DirectionMethod;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.testing.SharedData;

/** The Beam superstep pipelines on the DirectRunner give the in-process executor's bits. */
class BeamSuperstepExecutorTest {

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0} P={1} {2}")
  @CsvSource({
      "heart_scale.libsvm, 1, VECTOR_FREE, 1e-2",
      "heart_scale.libsvm, 2, TWO_LOOP, 1e-2",
      "synth-small.libsvm, 7, VECTOR_FREE, 1e-2",
      "synth-small.libsvm, 2, TWO_LOOP, 1e-2"})
  void directRunnerMatchesLocalBitForBit(String file, int partitions, DirectionMethod method,
      double lambda) throws Exception {
    SparseDataset data = LibsvmReader.read(SharedData.file(file));
    Path prepared = tmp.resolve("data.bin");
    try (OutputStream out = Files.newOutputStream(prepared)) {
      DatasetFile.write(data, out);
    }
    ObjectiveSpec spec = new ObjectiveSpec(ObjectiveSpec.Model.SOFTMAX, lambda, partitions,
        prepared.toString());
    PartitionedObjective objective = ObjectiveCache.build(spec, data);
    double[][] x0 = new double[partitions][];
    for (int b = 0; b < partitions; b++) {
      x0[b] = new double[objective.partitioning().blockSize(b)];
    }
    LbfgsOptions options = LbfgsOptions.defaults().withDirectionMethod(method)
        .withMaxIterations(6);
    PipelineOptions pipelineOptions = PipelineOptionsFactory.create();
    BeamSuperstepExecutor beam = BeamSuperstepExecutor.create(pipelineOptions,
        tmp.resolve("state").toString(), spec);
    beam.storeStartPoint(x0);
    List<SuperstepResult> local = new ArrayList<>();
    LbfgsState localEnd = run(options, new LocalExecutor(objective, x0, 2), local);
    List<SuperstepResult> direct = new ArrayList<>();
    LbfgsState directEnd = run(options, beam, direct);
    assertSameResults(local, direct);
    assertEquals(localEnd.stopReason(), directEnd.stopReason());
    assertEquals(localEnd.value(), directEnd.value(), 0.0);
  }

  /**
   * The cached-margins paths that the runs above may not take: one trial per line search, so that
   * searches end on trials without a gradient and the coordinator re-evaluates them (softmax); and
   * binary logistic regression, whose margins are partial sums over feature blocks.
   */
  @ParameterizedTest(name = "{0} {1} P={2}")
  @CsvSource({
      "synth-small.libsvm, SOFTMAX, 3, 1",
      "heart_scale.libsvm, LOGISTIC, 4, 25"})
  void directRunnerMatchesLocalOnReevaluationsAndLinearModels(String file,
      ObjectiveSpec.Model model, int partitions, int maxLineSearchEvaluations) throws Exception {
    SparseDataset data = LibsvmReader.read(SharedData.file(file));
    Path prepared = tmp.resolve("data.bin");
    try (OutputStream out = Files.newOutputStream(prepared)) {
      DatasetFile.write(data, out);
    }
    ObjectiveSpec spec = new ObjectiveSpec(model, 1e-3, partitions, prepared.toString());
    PartitionedObjective objective = ObjectiveCache.build(spec, data);
    double[][] x0 = SharedData.zeroStart(objective.partitioning());
    LbfgsOptions options = LbfgsOptions.defaults().withMaxIterations(5)
        .withMaxLineSearchEvaluations(maxLineSearchEvaluations);
    BeamSuperstepExecutor beam = BeamSuperstepExecutor.create(PipelineOptionsFactory.create(),
        tmp.resolve("state").toString(), spec);
    beam.storeStartPoint(x0);
    List<SuperstepResult> local = new ArrayList<>();
    LbfgsState localEnd;
    try (LocalExecutor executor = new LocalExecutor(objective, x0, 2)) {
      localEnd = run(options, executor, local);
    }
    List<SuperstepResult> direct = new ArrayList<>();
    LbfgsState directEnd = run(options, beam, direct);
    assertSameResults(local, direct);
    if (maxLineSearchEvaluations == 1) {
      assertTrue(local.stream().anyMatch(r -> r.trial() != null && !r.trial().hasGradient()),
          "some trial was evaluated without its gradient");
      assertTrue(localEnd.evaluations() > localEnd.iteration() + 1, "a trial was re-evaluated");
    }
    assertEquals(localEnd.value(), directEnd.value(), 0.0);
    assertEquals(localEnd.evaluations(), directEnd.evaluations());
    assertEquals(localEnd.dataPasses(), directEnd.dataPasses());
    assertTrue(directEnd.linearMargins());
    double[][] x = beam.read("x-" + directEnd.xId());
    try (LocalExecutor executor = new LocalExecutor(objective, x0, 1)) {
      LbfgsState end = run(options, executor, new ArrayList<>());
      for (int b = 0; b < partitions; b++) {
        assertArrayEquals(executor.point(end.xId())[b], x[b], 0.0, "block " + b);
      }
    }
  }

  private static LbfgsState run(LbfgsOptions options, SuperstepExecutor executor,
      List<SuperstepResult> results) throws Exception {
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    LbfgsState state = coordinator.start();
    while (!state.finished()) {
      SuperstepResult r = executor.execute(state.pending());
      results.add(r);
      state = coordinator.advance(state, r);
      executor.retain(state);
    }
    return state;
  }

  /** Every superstep's reduced scalars, bit for bit. */
  private static void assertSameResults(List<SuperstepResult> local, List<SuperstepResult> direct) {
    assertEquals(local.size(), direct.size());
    for (int i = 0; i < local.size(); i++) {
      assertEquals(local.get(i).trial(), direct.get(i).trial(), "superstep " + i);
      assertEquals(local.get(i).initialSlope(), direct.get(i).initialSlope(), 0.0);
      assertEquals(local.get(i).directionMaxAbs(), direct.get(i).directionMaxAbs(), 0.0);
      assertArrayEquals(local.get(i).gramDots(), direct.get(i).gramDots());
    }
  }
}
