package org.lbfgsbeam.pipelines.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.lbfgsbeam.core.data.InputFormatException;

/**
 * The files a data argument ({@code --data}, {@code --validation}) names: one file, a directory of
 * shards, or a glob pattern over shards, such as {@code 'out/part-*'} (quoted, so that the shell
 * leaves it to us), which is how Spark, Hadoop and Beam's {@code TextIO} write a set: a directory
 * of {@code part-00000-of-00008}-like files beside a {@code _SUCCESS} marker.
 *
 * <ul>
 *   <li>A path that exists as a file is that one file, whatever characters its name holds.
 *   <li>A directory is every regular file in it whose name does not start with {@code .} or
 *       {@code _} (the markers and temporary files writers leave: {@code _SUCCESS}, {@code
 *       .part-00000.crc}, Beam's {@code .temp-beam-*}); subdirectories are not entered.
 *   <li>A path whose last component holds {@code *}, {@code ?}, {@code [} or <code>{</code> is a
 *       glob ({@link java.nio.file.FileSystem#getPathMatcher}) over the regular files of its
 *       parent directory, which is a plain path; names starting with {@code .} or {@code _} are
 *       skipped unless the pattern itself starts with that character.
 *   <li>Anything else is one file, which reading reports if it is missing.
 * </ul>
 *
 * <p>The shards are sorted by file name ({@link String#compareTo}, so {@code part-00010} follows
 * {@code part-00009} when the numbers are zero-padded, as every writer pads them): the examples
 * of a sharded set are their lines in that order, the same on every machine and every run, so a
 * run over the shards has the bits of a run over their concatenation. A directory or pattern with
 * no file is an error naming it.
 *
 * @param given the argument as given, for messages
 * @param files the files, in reading order; one for a single file
 * @param sharded whether {@code given} is a directory or a pattern (even one matching one file)
 */
public record DataShards(Path given, List<Path> files, boolean sharded) {

  public DataShards {
    files = List.copyOf(files);
  }

  /**
   * Resolves {@code data}.
   *
   * @throws InputFormatException naming {@code data} if it is a directory without data files or a
   *     pattern that matches none
   */
  public static DataShards of(Path data) throws IOException {
    if (Files.isRegularFile(data)) {
      return new DataShards(data, List.of(data), false);
    }
    if (Files.isDirectory(data)) {
      List<Path> files = list(data, "*", false);
      if (files.isEmpty()) {
        throw new InputFormatException(data.toString(), 0, "is a directory without data files"
            + " (names starting with . or _ are skipped); give a LIBSVM or IDX file, a directory"
            + " of LIBSVM shards or a pattern such as 'DIR/part-*'");
      }
      return new DataShards(data, files, true);
    }
    Path name = data.getFileName();
    if (name == null || !isPattern(name.toString())) {
      return new DataShards(data, List.of(data), false);
    }
    String pattern = name.toString();
    Path parent = data.getParent() != null ? data.getParent() : Paths.get("");
    if (isPattern(parent.toString())) {
      throw new InputFormatException(data.toString(), 0, "only the last part of a path may be a"
          + " pattern (such as 'DIR/part-*'), but " + parent + " is one too");
    }
    if (!Files.isDirectory(parent.toString().isEmpty() ? Paths.get(".") : parent)) {
      throw new InputFormatException(data.toString(), 0, "no file matches: directory "
          + parent + " does not exist");
    }
    List<Path> files;
    try {
      boolean hiddenToo = pattern.startsWith(".") || pattern.startsWith("_");
      files = list(parent, pattern, hiddenToo);
    } catch (IllegalArgumentException e) { // java.util.regex.PatternSyntaxException
      throw new InputFormatException(data.toString(), 0, "not a valid glob pattern: "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    if (files.isEmpty()) {
      throw new InputFormatException(data.toString(), 0, "no file matches this pattern");
    }
    return new DataShards(data, files, true);
  }

  /** The bytes of all the files as they are on disk (compressed when gzipped). */
  public long bytes() throws IOException {
    long total = 0;
    for (Path f : files) {
      total += Files.size(f);
    }
    return total;
  }

  /** Whether a file name holds glob syntax. */
  static boolean isPattern(String name) {
    return name.indexOf('*') >= 0 || name.indexOf('?') >= 0 || name.indexOf('[') >= 0
        || name.indexOf('{') >= 0;
  }

  /** The regular files of {@code dir} matching the glob, by name; hidden names only if asked. */
  private static List<Path> list(Path dir, String glob, boolean hiddenToo) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(
        dir.toString().isEmpty() ? Paths.get(".") : dir, glob)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if ((hiddenToo || !(name.startsWith(".") || name.startsWith("_")))
            && Files.isRegularFile(entry)) {
          // Keep the path as the user would write it: DIR/name, or name for the current directory.
          files.add(dir.toString().isEmpty() ? Paths.get(name) : dir.resolve(name));
        }
      }
    }
    files.sort(Comparator.comparing(p -> p.getFileName().toString()));
    return files;
  }
}
