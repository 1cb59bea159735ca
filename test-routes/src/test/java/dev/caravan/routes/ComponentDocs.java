package dev.caravan.routes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The examples of a component's AsciiDoc page: every {@code [source,yaml]} block of its Usage section whose title
 * names a file, {@code .refund.caravan.yaml} (a workflow) or {@code .refund.camel.yaml} (Camel routes).
 *
 * @param scheme    the component's scheme, from the page's file name
 * @param usage     whether the page has a {@code == Usage} section
 * @param workflows file name to text of the workflow examples, in page order
 * @param routes    file name to text of the route examples, in page order
 */
record ComponentDocs(String scheme, boolean usage, Map<String, String> workflows, Map<String, String> routes) {

    static final Path FOLDER = Path.of("../components/src/main/docs");

    private static final String SUFFIX = "-component.adoc";

    /** The pages of every component of caravan-components, sorted by scheme. */
    static List<ComponentDocs> all() {
        try (Stream<Path> files = Files.list(FOLDER)) {
            return files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().map(ComponentDocs::read)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ComponentDocs of(String scheme) {
        return read(FOLDER.resolve(scheme + SUFFIX));
    }

    static ComponentDocs read(Path page) {
        String name = page.getFileName().toString();
        List<String> lines;
        try {
            lines = Files.readAllLines(page);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> workflows = new LinkedHashMap<>();
        Map<String, String> routes = new LinkedHashMap<>();
        int usage = lines.indexOf("== Usage");
        for (int i = Math.max(usage, 0); usage >= 0 && i < lines.size(); i++) {
            // .file-name, [source,yaml], ----, the file, ----
            if (!lines.get(i).equals("[source,yaml]") || i == 0 || !lines.get(i - 1).startsWith(".")
                    || i + 1 >= lines.size() || !lines.get(i + 1).equals("----")) {
                continue;
            }
            String file = lines.get(i - 1).substring(1);
            List<String> text = new ArrayList<>();
            int j = i + 2;
            while (j < lines.size() && !lines.get(j).equals("----")) {
                text.add(lines.get(j++));
            }
            if (j == lines.size()) {
                throw new IllegalStateException(name + ": the block of " + file + " is not closed");
            }
            Map<String, String> into = file.endsWith(".caravan.yaml") ? workflows
                    : file.endsWith(".camel.yaml") ? routes : null;
            if (into == null) {
                throw new IllegalStateException(name + ": the title of a YAML example names a file: " + file);
            }
            into.put(file, String.join("\n", text) + "\n");
            i = j;
        }
        return new ComponentDocs(name.substring(0, name.length() - SUFFIX.length()), usage >= 0, workflows, routes);
    }
}
