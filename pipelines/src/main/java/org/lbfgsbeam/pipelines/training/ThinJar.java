package org.lbfgsbeam.pipelines.training;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * A jar of this project's own classes ({@code org/lbfgsbeam/**}), cut from the runnable jar, for a
 * Flink cluster that already has Beam and Flink on its classpath (the one {@code flink-conf/} starts
 * does): staging it costs a few hundred kilobytes a pipeline instead of the whole runnable jar.
 */
final class ThinJar {
  private static Path cached;

  private ThinJar() {}

  /** The thin jar, written once per JVM into a temporary file. */
  static synchronized String path(String runnableJar) throws IOException {
    if (cached == null) {
      Path out = Files.createTempFile("lbfgs-beam-classes-", ".jar");
      out.toFile().deleteOnExit();
      try (JarFile in = new JarFile(runnableJar);
          JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out))) {
        Enumeration<JarEntry> entries = in.entries();
        while (entries.hasMoreElements()) {
          JarEntry e = entries.nextElement();
          if (!e.getName().startsWith("org/lbfgsbeam/") || e.isDirectory()) {
            continue;
          }
          jar.putNextEntry(new JarEntry(e.getName()));
          try (InputStream data = in.getInputStream(e)) {
            data.transferTo(jar);
          }
          jar.closeEntry();
        }
      }
      cached = out;
    }
    return cached.toString();
  }

}
