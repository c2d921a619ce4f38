package org.lbfgsbeam.pipelines.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

/**
 * {@code train}, {@code evaluate} and {@code predict} over LIBSVM shards (eight gzipped pieces of
 * synth-small, K = 20, in a directory beside a {@code _SUCCESS} marker) give the bits they give
 * over the file the shards were cut from, and bad shards are named in one line.
 */
public class ShardedInputTest {
  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  static Path whole;
  static Path dir;
  static Path pattern;
  /** A model trained on the whole file, for evaluate and predict. */
  static Path model;

  @BeforeAll
  static void cut() throws IOException {
    whole = SharedData.file("synth-small.libsvm");
    dir = shared.resolve("synth-small");
    ShardFixtures.split(whole, dir, 8, true);
    pattern = dir.resolve("part-*");
    model = shared.resolve("model");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data", whole.toString(),
        "--lambda", "1e-3", "--partitions", "2", "--max-iterations", "4", "--output",
        model.toString());
    assertEquals(0, r.status(), r.err());
  }

  private static TrainCommandTest.Run train(String runner, Path data, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--lambda",
        "1e-4", "--runner", runner, "--partitions", "3", "--max-iterations", "5", "--threads",
        "2", "--output", out.toString()));
    args.addAll(List.of(more));
    TrainCommandTest.Run run = TrainCommandTest.main(args.toArray(String[]::new));
    assertEquals(0, run.status(), run.err());
    return run;
  }

  /** The same model files, bit for bit, and the same summary numbers. */
  public static void assertSameModel(Path expected, Path actual, int partitions) throws IOException {
    JsonNode a = TrainCommandTest.summary(expected);
    JsonNode b = TrainCommandTest.summary(actual);
    for (String field : List.of("objective", "evaluations", "iterations", "stopReason", "examples",
        "features", "classes", "nonzeros")) {
      assertEquals(a.get(field).asText(), b.get(field).asText(), field);
    }
    for (int p = 0; p < partitions; p++) {
      String w = String.format("model/weights-%05d.bin", p);
      assertArrayEquals(Files.readAllBytes(expected.resolve(w)), Files.readAllBytes(actual.resolve(w)),
          w);
    }
    assertEquals(Files.readString(expected.resolve("model/model.json")),
        Files.readString(actual.resolve("model/model.json")));
  }

  /**
   * {@code --data 'DIR/part-*'} over eight gzipped shards trains to the bits of the file they were
   * cut from, in process and in a Flink job (embedded), and run.json records the shards.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "flink"})
  void trainOverShardsHasTheBitsOfTheWholeFile(String runner) throws IOException {
    Path one = tmp.resolve("one");
    Path sharded = tmp.resolve("sharded");
    train(runner, whole, one);
    train(runner, pattern, sharded);
    assertSameModel(one, sharded, 3);
    assertEquals(runner, TrainCommandTest.summary(sharded).get("runner").asText());

    JsonNode run = new ObjectMapper().readTree(sharded.resolve("state/run.json").toFile());
    assertEquals(pattern.toAbsolutePath().normalize().toString(), run.get("data").asText());
    assertEquals(8, run.get("dataShards").asInt());
    assertEquals(DataShards.of(pattern).bytes(), run.get("dataBytes").asLong());
    JsonNode single = new ObjectMapper().readTree(one.resolve("state/run.json").toFile());
    assertFalse(single.has("dataShards"), "one file's run.json is as before shards");
  }

  /** The directory of the shards is the same data as their pattern. */
  @Test
  void aDirectoryOfShardsTrainsLikeTheWholeFile() throws IOException {
    Path one = tmp.resolve("one");
    Path fromDir = tmp.resolve("dir");
    train("local", whole, one);
    train("local", dir, fromDir);
    assertSameModel(one, fromDir, 3);
  }

  @Test
  void aPatternMatchingNothingIsOneLineNamingIt() {
    Path nothing = dir.resolve("train-*.gz");
    Path out = tmp.resolve("out");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data", nothing.toString(),
        "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals("lbfgs-beam train: bad input: " + nothing + ": no file matches this pattern",
        run.err().strip());
    assertFalse(Files.exists(out), "nothing written");
  }

  /** A bad line in the fourth shard: one line naming that shard and the line within it. */
  @Test
  void aBadLineInAShardNamesTheShardAndItsLine() throws IOException {
    Path bad = tmp.resolve("bad");
    List<Path> shards = ShardFixtures.split(whole, bad, 8, true);
    Path third = shards.get(3);
    List<String> lines = new ArrayList<>(List.of(new String(
        new java.util.zip.GZIPInputStream(Files.newInputStream(third)).readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8).split("\n")));
    lines.set(6, "4 2:1 3:nan");
    Files.write(third, IdxFixtures.gzip((String.join("\n", lines) + "\n").getBytes(
        java.nio.charset.StandardCharsets.UTF_8)));
    Path out = tmp.resolve("out");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data",
        bad.resolve("part-*").toString(), "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals("lbfgs-beam train: bad input: " + third
        + ":7: non-finite value 'nan' for feature 3", run.err().strip());
    assertFalse(Files.exists(out), "nothing written");
  }

  /** evaluate's metrics over the shards are those over the whole file. */
  @Test
  void evaluateOverShards() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<ObjectNode> reports = new ArrayList<>();
    List<String> tables = new ArrayList<>();
    for (Path data : List.of(whole, pattern, dir)) {
      Path out = tmp.resolve("eval-" + reports.size() + ".json");
      TrainCommandTest.Run r = TrainCommandTest.main("evaluate", "--model", model.toString(),
          "--data", data.toString(), "--output", out.toString());
      assertEquals(0, r.status(), r.err());
      ObjectNode report = (ObjectNode) json.readTree(out.toFile());
      assertEquals(data.toAbsolutePath().normalize().toString(), report.remove("data").asText());
      reports.add(report);
      tables.add(r.out());
    }
    assertEquals(2000, reports.get(0).get("examples").asInt());
    assertEquals(reports.get(0), reports.get(1));
    assertEquals(reports.get(0), reports.get(2));
    assertEquals(tables.get(0), tables.get(1));
  }

  /** predict numbers the examples in the order of the shards' names: the same CSV, byte for byte. */
  @Test
  void predictOverShards() throws IOException {
    Path a = tmp.resolve("whole.csv");
    Path b = tmp.resolve("shards.csv");
    for (Path[] io : new Path[][] {{whole, a}, {pattern, b}}) {
      TrainCommandTest.Run r = TrainCommandTest.main("predict", "--model", model.toString(),
          "--data", io[0].toString(), "--output", io[1].toString());
      assertEquals(0, r.status(), r.err());
    }
    assertEquals(2001, Files.readAllLines(b).size());
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
  }

  /** --validation takes shards too: the same accuracies in trace.csv. */
  @Test
  void validationOverShards() throws IOException {
    Path one = tmp.resolve("one");
    Path sharded = tmp.resolve("sharded");
    train("local", whole, one, "--validation", whole.toString());
    train("local", whole, sharded, "--validation", pattern.toString());
    assertEquals(Files.readAllLines(one.resolve("trace.csv")).stream().map(ShardedInputTest::noSeconds)
        .toList(), Files.readAllLines(sharded.resolve("trace.csv")).stream()
        .map(ShardedInputTest::noSeconds).toList());
    assertTrue(TrainCommandTest.summary(sharded).has("validationAccuracy"));
  }

  /** A trace row without its seconds column (the sixth). */
  private static String noSeconds(String row) {
    String[] cells = row.split(",", -1);
    if (cells.length > 5) {
      cells[5] = "";
    }
    return String.join(",", cells);
  }

  /** A shard added under a resumable run is refused, naming the shard count that changed. */
  @Test
  void resumeWithOtherShardsIsRefused() throws IOException {
    Path data = tmp.resolve("data");
    ShardFixtures.split(whole, data, 4, false);
    Path out = tmp.resolve("out");
    train("direct", data.resolve("part-*"), out);
    Files.writeString(data.resolve("part-00004-of-00004"), "1 1:1\n");
    TrainCommandTest.Run refused = TrainCommandTest.main("train", "--data",
        data.resolve("part-*").toString(), "--lambda", "1e-4", "--runner", "direct",
        "--partitions", "3", "--max-iterations", "5", "--threads", "2", "--output",
        out.toString(), "--resume");
    assertEquals(2, refused.status(), refused.err());
    long bytes = DataShards.of(data.resolve("part-*")).bytes();
    assertEquals("lbfgs-beam train: --resume with --data of " + bytes + " bytes, but the"
        + " run in " + out + " was started with " + (bytes - "1 1:1\n".length()) + " (run.json"
        + " field dataBytes); with --data of 5 shard files, but it was started with 4 (run.json"
        + " field dataShards); with data of 2001 examples, but it was started with 2000 (run.json"
        + " field examples); resume with the same options or start a new run with --overwrite",
        refused.err().strip());
  }
}
