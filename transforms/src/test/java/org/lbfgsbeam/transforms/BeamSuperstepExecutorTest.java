package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
    assertEquals(local.size(), direct.size());
    for (int i = 0; i < local.size(); i++) {
      assertEquals(local.get(i).trial(), direct.get(i).trial(), "superstep " + i);
      assertEquals(local.get(i).initialSlope(), direct.get(i).initialSlope(), 0.0);
      assertArrayEquals(local.get(i).gramDots(), direct.get(i).gramDots());
    }
    assertEquals(localEnd.stopReason(), directEnd.stopReason());
    assertEquals(localEnd.value(), directEnd.value(), 0.0);
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
}
