package dev.caravan.app.cli;

import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.tooling.maven.MavenArtifact;
import org.apache.camel.tooling.maven.MavenDownloaderImpl;
import org.apache.camel.tooling.maven.MavenResolutionException;
import org.apache.camel.tooling.maven.RemoteArtifactDownloadListener;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Jars that join the class path of one {@code caravan run}, as {@code camel run --dep} adds them: the jars of a
 * {@code lib/} folder beside the workflow file, and each {@code --dep}, a jar, a folder of jars or Maven coordinates
 * resolved with their dependencies from the local Maven repository or Maven Central (and any {@code --repo}).
 */
final class Dependencies {

    /** groupId:artifactId:version, optionally with packaging and classifier between (as Maven writes them). */
    private static final Pattern COORDINATES = Pattern.compile("[\\w.-]+:[\\w.-]+(:[\\w.-]+){1,3}");

    private Dependencies() {
    }

    /**
     * The class loader with the extra jars over the CLI's own (which wins for classes both have, so a dependency
     * cannot replace the Camel or Jackson that Caravan runs on), or null when there are no extra jars.
     *
     * @param deps       the --dep values as given (each may list several, separated by commas)
     * @param repos      extra Maven repositories (URLs)
     * @param workingDir what relative jar paths are relative to
     * @param lib        the lib folder beside the workflow file (may not exist)
     * @param progress   where downloads are reported, or null
     */
    static URLClassLoader classLoader(List<String> deps, List<String> repos, Path workingDir, Path lib,
            PrintStream progress) {
        Set<Path> jars = new LinkedHashSet<>(jarsIn(lib));
        List<String> coordinates = new ArrayList<>();
        for (String value : deps) {
            for (String dep : value.split(",")) {
                String d = dep.strip();
                if (d.isEmpty()) {
                    continue;
                }
                Path file = workingDir.resolve(d).normalize();
                if (Files.isDirectory(file)) {
                    jars.addAll(jarsIn(file));
                } else if (Files.isRegularFile(file)) {
                    jars.add(file);
                } else if (d.endsWith(".jar") || d.contains("/") || d.contains("\\")) {
                    throw new UserException(ExitCodes.USAGE, "--dep " + d + ": no such file");
                } else {
                    coordinates.add(coordinates(d));
                }
            }
        }
        if (!coordinates.isEmpty()) {
            jars.addAll(resolve(coordinates, repos, progress));
        }
        if (jars.isEmpty()) {
            return null;
        }
        URL[] urls = jars.stream().map(Dependencies::url).toArray(URL[]::new);
        return new URLClassLoader("caravan-dependencies", urls, Dependencies.class.getClassLoader());
    }

    /** {@code camel:kafka}, {@code mvn:g:a:v} or {@code g:a:v} as the g:a:v Maven resolves. */
    static String coordinates(String dep) {
        String gav = dep.startsWith("mvn:") ? dep.substring(4) : dep;
        if (gav.startsWith("camel:")) {
            // as Camel K and Kamelets write Camel components: the version is the Camel that Caravan runs on
            String name = gav.substring("camel:".length());
            if (!name.matches("[\\w.-]+")) {
                throw new UserException(ExitCodes.USAGE, "--dep " + dep + ": expected camel:NAME, e.g. camel:aws2-s3");
            }
            gav = "org.apache.camel:" + (name.startsWith("camel-") ? name : "camel-" + name) + ":"
                    + VersionProvider.camelVersion();
        }
        if (!COORDINATES.matcher(gav).matches()) {
            throw new UserException(ExitCodes.USAGE, "--dep " + dep + ": expected a jar, a folder of jars, "
                    + "groupId:artifactId:version (mvn: in front is allowed) or camel:NAME");
        }
        return gav;
    }

    private static List<Path> resolve(List<String> coordinates, List<String> repos, PrintStream progress) {
        MavenDownloaderImpl maven = new MavenDownloaderImpl();
        if (progress != null) {
            maven.setRemoteArtifactDownloadListener(new RemoteArtifactDownloadListener() {
                @Override
                public void artifactDownloading(String groupId, String artifactId, String version, String repoId,
                        String repoUrl) {
                    // reported once downloaded
                }

                @Override
                public void artifactDownloaded(String groupId, String artifactId, String version, String repoId,
                        String repoUrl, long elapsed) {
                    progress.println("downloaded " + groupId + ":" + artifactId + ":" + version + " from " + repoUrl);
                }
            });
        }
        try {
            ServiceHelper.startService(maven);
            List<Path> jars = new ArrayList<>();
            for (MavenArtifact a : maven.resolveArtifacts(coordinates, repos.isEmpty() ? null : Set.copyOf(repos),
                    true, false)) {
                if (a.getFile() != null && a.getFile().getName().endsWith(".jar")) {
                    jars.add(a.getFile().toPath());
                }
            }
            return jars;
        } catch (MavenResolutionException e) {
            throw new UserException(ExitCodes.USAGE, "--dep " + String.join(",", coordinates) + ": cannot resolve "
                    + "it from " + (e.getRepositories().isEmpty() ? "the Maven repositories"
                    : String.join(", ", e.getRepositories())) + " (or the local repository): " + firstLine(e), e);
        } finally {
            ServiceHelper.stopService(maven);
        }
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static List<Path> jarsIn(Path folder) {
        if (folder == null || !Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)).sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(jar + " cannot be a class path entry", e);
        }
    }
}
