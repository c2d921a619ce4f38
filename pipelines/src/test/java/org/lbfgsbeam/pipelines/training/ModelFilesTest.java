package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * A model is checked when {@code evaluate} or {@code predict} reads it: each weights file's SHA-256
 * that {@code train} writes into model.json, its length against the shape model.json gives, and
 * that every weight is finite. A damaged model is refused in one line naming the weights file, exit
 * 2, nothing written; a model.json from before checksums still loads, lengths and weights checked.
 */
class ModelFilesTest {
  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  /** heart_scale (K = 2, D = 13) as softmax in 2 class blocks: weights-0000b.bin is 1 x 13. */
  static Path softmaxRun;
  /** heart_scale as a 13-4-2 network. */
  static Path networkRun;

  static final String DATA = SharedData.file("heart_scale.libsvm").toString();

  @BeforeAll
  static void train() {
    softmaxRun = shared.resolve("softmax");
    TrainCommandTest.Run s = TrainCommandTest.main("train", "--data", DATA, "--partitions", "2",
        "--max-iterations", "4", "--output", softmaxRun.toString());
    assertEquals(0, s.status(), s.err());
    networkRun = shared.resolve("network");
    TrainCommandTest.Run n = TrainCommandTest.main("train", "--data", DATA, "--model", "mlp",
        "--hidden", "4", "--batch-size", "50", "--max-iterations", "5", "--output",
        networkRun.toString());
    assertEquals(0, n.status(), n.err());
  }

  /** The ways a weights file is damaged here. */
  enum Damage {
    /** Weight 5 of the file overwritten with +Inf: same length, so only finiteness catches it. */
    INFINITE,
    /** 8 bytes appended. */
    APPENDED,
    /** The lowest bit of weight 2 flipped: same length, still finite; only the checksum sees it. */
    FLIPPED;

    void apply(Path file) throws IOException {
      byte[] bytes = Files.readAllBytes(file);
      switch (this) {
        case INFINITE -> ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
            .putDouble(24 + 8 * 5, Double.POSITIVE_INFINITY);
        case APPENDED -> bytes = java.util.Arrays.copyOf(bytes, bytes.length + 8);
        case FLIPPED -> bytes[24 + 8 * 2] ^= 1;
        default -> throw new AssertionError(this);
      }
      Files.write(file, bytes);
    }
  }

  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static JsonNode json(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }

  static JsonNode modelJson(Path modelDir) throws IOException {
    return json(modelDir.resolve("model.json"));
  }

  /** A copy of a run's model directory in {@code tmp}, to damage. */
  private Path copy(Path run) throws IOException {
    Path to = tmp.resolve("model");
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(run.resolve("model"))) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  /** Removes the checksum fields from model.json, as a model written before them has it. */
  private static void stripChecksums(Path modelDir) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode json = (ObjectNode) modelJson(modelDir);
    for (String array : List.of("blocks", "layers")) {
      for (JsonNode entry : json.path(array)) {
        ((ObjectNode) entry).remove(List.of("sha256", "weightsSha256", "biasSha256"));
      }
    }
    mapper.writerWithDefaultPrettyPrinter().writeValue(modelDir.resolve("model.json").toFile(),
        json);
    assertFalse(Files.readString(modelDir.resolve("model.json")).contains("ha256"));
  }

  /** Runs evaluate or predict on {@code modelDir}, writing (if at all) into {@code tmp/out}. */
  private TrainCommandTest.Run score(String command, Path modelDir) {
    return TrainCommandTest.main(command, "--model", modelDir.toString(), "--data", DATA,
        "--output", tmp.resolve("out").toString());
  }

  /** The command ends in exit 2 and one line naming {@code file} with {@code reason}; no output. */
  private void assertRefused(String command, Path modelDir, Path file, String reason)
      throws IOException {
    TrainCommandTest.Run r = score(command, modelDir);
    assertEquals(2, r.status(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().startsWith("lbfgs-beam " + command + ": bad input: " + file + ": " + reason),
        () -> r.err() + " lacks " + file + ": " + reason);
    assertFalse(r.err().contains("Exception"), r.err());
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(modelDir), files.toList(), "nothing written");
    }
  }

  @Test
  void trainWritesTheChecksumOfEachWeightsFile() throws IOException {
    Path softmax = softmaxRun.resolve("model");
    JsonNode blocks = modelJson(softmax).get("blocks");
    assertEquals(2, blocks.size());
    for (JsonNode block : blocks) {
      assertEquals(sha256(softmax.resolve(block.get("file").asText())),
          block.get("sha256").asText());
    }
    Path network = networkRun.resolve("model");
    JsonNode layers = modelJson(network).get("layers");
    assertEquals(2, layers.size());
    for (JsonNode layer : layers) {
      assertEquals(sha256(network.resolve(layer.get("weights").asText())),
          layer.get("weightsSha256").asText());
      assertEquals(sha256(network.resolve(layer.get("bias").asText())),
          layer.get("biasSha256").asText());
    }
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({"evaluate, INFINITE", "evaluate, APPENDED", "evaluate, FLIPPED",
      "predict, INFINITE", "predict, APPENDED", "predict, FLIPPED"})
  void aDamagedSoftmaxModelIsRefusedNamingTheFile(String command, Damage damage)
      throws IOException {
    Path model = copy(softmaxRun);
    Path file = model.resolve("weights-00001.bin");
    damage.apply(file);
    String reason = switch (damage) {
      case INFINITE -> "weight 5 (class 1, feature 5) is +Inf, but a model's weights are finite;"
          + " retrain or copy the model again";
      case APPENDED -> "damaged model weights: 8 bytes more than the 1 x 13 doubles model.json"
          + " gives (136 bytes, not 24 + 8 x 13 = 128); retrain or copy the model again";
      case FLIPPED -> "damaged model weights: its SHA-256 " + sha256(file)
          + " does not match model.json's " + sha256(softmaxRun.resolve("model/weights-00001.bin"))
          + "; retrain or copy the model again";
    };
    assertRefused(command, model, file, reason);
  }

  @Test
  void aModelJsonWithoutChecksumsLoadsWithLengthsAndWeightsStillChecked() throws IOException {
    Path model = copy(softmaxRun);
    stripChecksums(model);
    Path metrics = tmp.resolve("metrics.json");
    Path originalMetrics = tmp.resolve("original.json");
    TrainCommandTest.Run original = TrainCommandTest.main("evaluate", "--model",
        softmaxRun.toString(), "--data", DATA, "--output", originalMetrics.toString());
    assertEquals(0, original.status(), original.err());
    TrainCommandTest.Run legacy = TrainCommandTest.main("evaluate", "--model", model.toString(),
        "--data", DATA, "--output", metrics.toString());
    assertEquals(0, legacy.status(), legacy.err());
    for (String key : List.of("accuracy", "logLoss")) {
      assertEquals(json(originalMetrics).get(key).asDouble(),
          json(metrics).get(key).asDouble(), key);
    }
    Files.delete(metrics);
    Files.delete(originalMetrics);
    TrainCommandTest.Run predict = score("predict", model);
    assertEquals(0, predict.status(), predict.err());
    Files.delete(tmp.resolve("out"));

    Path file = model.resolve("weights-00000.bin");
    Path good = softmaxRun.resolve("model/weights-00000.bin");
    Damage.FLIPPED.apply(file); // nothing records what the bytes were: it loads
    TrainCommandTest.Run flipped = TrainCommandTest.main("evaluate", "--model", model.toString(),
        "--data", DATA);
    assertEquals(0, flipped.status(), flipped.err());

    Files.copy(good, file, StandardCopyOption.REPLACE_EXISTING);
    Damage.APPENDED.apply(file);
    assertRefused("evaluate", model, file, "damaged model weights: 8 bytes more than the 1 x 13"
        + " doubles model.json gives");
    Files.copy(good, file, StandardCopyOption.REPLACE_EXISTING);
    Damage.INFINITE.apply(file);
    assertRefused("predict", model, file, "weight 5 (class 0, feature 5) is +Inf");
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({"evaluate, INFINITE", "evaluate, APPENDED", "evaluate, FLIPPED",
      "predict, INFINITE", "predict, APPENDED", "predict, FLIPPED"})
  void aDamagedNetworkIsRefusedNamingTheFile(String command, Damage damage) throws IOException {
    Path model = copy(networkRun);
    Path file = model.resolve("layer-00-weights.bin"); // 4 x 13
    damage.apply(file);
    String reason = switch (damage) {
      case INFINITE -> "weight 5 (layer 0, unit 0, input 5) is +Inf";
      case APPENDED -> "damaged model weights: 8 bytes more than the 4 x 13 doubles model.json"
          + " gives (448 bytes, not 24 + 8 x 52 = 440)";
      case FLIPPED -> "damaged model weights: its SHA-256 " + sha256(file)
          + " does not match model.json's "
          + sha256(networkRun.resolve("model/layer-00-weights.bin"));
    };
    assertRefused(command, model, file, reason);
  }

  @Test
  void aNetworkWithoutChecksumsLoads() throws IOException {
    Path model = copy(networkRun);
    stripChecksums(model);
    TrainCommandTest.Run evaluate = TrainCommandTest.main("evaluate", "--model", model.toString(),
        "--data", DATA);
    assertEquals(0, evaluate.status(), evaluate.err());
    Path bias = model.resolve("layer-01-bias.bin");
    Damage.APPENDED.apply(bias);
    assertRefused("evaluate", model, bias, "damaged model weights: 8 bytes more than the 2 x 1"
        + " doubles model.json gives");
  }
}
