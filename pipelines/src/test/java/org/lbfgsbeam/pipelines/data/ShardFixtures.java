package org.lbfgsbeam.pipelines.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A LIBSVM file cut by lines into shards, as Spark or Beam would leave them in a directory. */
public final class ShardFixtures {
  private ShardFixtures() {}

  /**
   * Writes the lines of {@code source} into {@code shards} files {@code part-SSSSS-of-NNNNN[.gz]}
   * in {@code dir} (created), consecutive runs of lines of uneven lengths (shard s gets a share
   * proportional to s + 1), so that their concatenation in name order is the source; beside them
   * a {@code _SUCCESS} marker, a hidden {@code .crc} file and a subdirectory, which readers skip.
   *
   * @return the shards, in name order
   */
  public static List<Path> split(Path source, Path dir, int shards, boolean gzip) throws IOException {
    List<String> lines = Files.readAllLines(source);
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub").resolve("part-99999-of-99999"), "junk\n");
    Files.writeString(dir.resolve("_SUCCESS"), "");
    Files.writeString(dir.resolve(".part-00000.crc"), "junk\n");
    long weights = (long) shards * (shards + 1) / 2;
    List<Path> files = new ArrayList<>();
    int from = 0;
    long weight = 0;
    for (int s = 0; s < shards; s++) {
      weight += s + 1;
      int to = (int) (lines.size() * weight / weights);
      StringBuilder text = new StringBuilder();
      for (String line : lines.subList(from, to)) {
        text.append(line).append('\n');
      }
      byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
      Path file = dir.resolve(String.format("part-%05d-of-%05d%s", s, shards, gzip ? ".gz" : ""));
      Files.write(file, gzip ? IdxFixtures.gzip(bytes) : bytes);
      files.add(file);
      from = to;
    }
    return files;
  }
}
