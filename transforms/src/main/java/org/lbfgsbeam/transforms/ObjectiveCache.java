package org.lbfgsbeam.transforms;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.FileSystems;
import org.lbfgsbeam.core.batch.BatchSumObjective;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.objective.LinearModelObjective;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.objective.SoftmaxObjective;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * One objective per worker JVM and {@link ObjectiveSpec}: the training data is read once through Beam's
 * FileSystems and kept for every later superstep (prepared data files are immutable, so the cache
 * never goes stale). DoFns call {@link #get} in their {@code @Setup}.
 */
public final class ObjectiveCache {
  private static final ConcurrentHashMap<ObjectiveSpec, PartitionedObjective> OBJECTIVES =
      new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, SparseDataset> DATA = new ConcurrentHashMap<>();

  private ObjectiveCache() {}

  /** The objective of {@code spec}, loading its data on first use in this JVM. */
  public static PartitionedObjective get(ObjectiveSpec spec) {
    // A user's batch sum reads its own staged batches: no prepared data file.
    return OBJECTIVES.computeIfAbsent(spec, s -> build(s,
        s.model() == ObjectiveSpec.Model.BATCHES ? null : data(s.dataPath())));
  }

  /**
   * The objective of {@code spec} built on the data that {@code data} supplies (a Flink broadcast
   * variable, say), once per JVM.
   */
  public static PartitionedObjective get(ObjectiveSpec spec,
      java.util.function.Supplier<SparseDataset> data) {
    return OBJECTIVES.computeIfAbsent(spec, s -> build(s, data.get()));
  }

  /**
   * Lends {@code objective}, which the caller built from its own copy of the data, to the workers of a
   * job that runs in this JVM (an embedded Flink mini-cluster): they take it instead of reading the
   * prepared data file and building a second copy. Closing the returned handle takes it back.
   *
   * @throws IllegalStateException if an objective of {@code spec} is already cached
   */
  public static AutoCloseable lend(ObjectiveSpec spec, PartitionedObjective objective) {
    if (OBJECTIVES.putIfAbsent(spec, objective) != null) {
      throw new IllegalStateException("an objective of " + spec + " is already cached");
    }
    return () -> OBJECTIVES.remove(spec, objective);
  }

  /** Builds the objective of {@code spec} on {@code data} (null for BATCHES, which reads its own). */
  public static PartitionedObjective build(ObjectiveSpec spec, SparseDataset data) {
    PartitionedObjective objective = switch (spec.model()) {
      case SOFTMAX -> new SoftmaxObjective(data, spec.lambda(), spec.blocks());
      case LOGISTIC -> new LinearModelObjective(data, LinearModelObjective.Loss.LOGISTIC,
          spec.lambda(), spec.blocks());
      case LEAST_SQUARES -> new LinearModelObjective(data, LinearModelObjective.Loss.SQUARED,
          spec.lambda(), spec.blocks());
      case MLP -> network(spec, data);
      case BATCHES -> spec.batchSum().build(spec.blocks());
    };
    if (objective.linearMargins() != spec.linearMargins()) {
      throw new IllegalStateException("ObjectiveSpec.linearMargins() disagrees with " + objective);
    }
    return objective;
  }

  /**
   * The network of {@code spec} for {@code data}: d<sub>0</sub> = its features, K = its classes; the
   * examples cut into batches in file order; the mean loss plus L2 on the weights; the start point
   * from the spec's seed; shards evaluated on this JVM's processors (the bits do not depend on it).
   */
  public static MultilayerPerceptron networkOf(NetworkSpec network, SparseDataset data) {
    return MultilayerPerceptron.of(network.layerSizes(data.numFeatures(), data.numClasses()),
        network.activation(), network.loss());
  }

  private static BatchSumObjective<DenseBatch> network(ObjectiveSpec spec, SparseDataset data) {
    NetworkSpec network = spec.network();
    MultilayerPerceptron net = networkOf(network, data);
    List<DenseBatch> batches = DenseBatch.fromDataset(data, network.batchSize());
    if (network.loss() == Loss.SQUARED_ERROR) {
      batches = oneHot(batches, data.numClasses());
    }
    if (network.shards() > batches.size()) {
      throw new IllegalArgumentException("--shards must be at most the number of batches ("
          + batches.size() + " of " + network.batchSize() + " examples), but was: "
          + network.shards());
    }
    if (spec.blocks() > net.parameterCount()) {
      throw new IllegalArgumentException("--partitions must be at most the network's "
          + net.parameterCount() + " parameters, but was: " + spec.blocks());
    }
    return BatchSumObjective.of(MlpObjective.meanLoss(net, data.numExamples(), spec.lambda()),
        batches, network.shards(), spec.blocks(), Runtime.getRuntime().availableProcessors(),
        net.initialParameters(network.seed()));
  }

  /** Classification batches as regression batches on one-hot targets (squared error on K outputs). */
  static List<DenseBatch> oneHot(List<DenseBatch> batches, int classes) {
    List<DenseBatch> out = new java.util.ArrayList<>(batches.size());
    for (DenseBatch b : batches) {
      out.add(b.withOneHotTargets(classes));
    }
    return out;
  }

  /** The prepared data at {@code path}, read once per JVM. */
  public static SparseDataset data(String path) {
    return DATA.computeIfAbsent(path, p -> {
      try (InputStream in = new BufferedInputStream(Channels.newInputStream(
          FileSystems.open(FileSystems.matchSingleFileSpec(p).resourceId())), 1 << 16)) {
        return DatasetFile.read(in);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read prepared data " + p + ": " + e.getMessage(), e);
      }
    });
  }
}
