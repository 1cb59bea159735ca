package dev.caravan.test;

/** Workflow text for tests. */
public final class TestWorkflows {

    private TestWorkflows() {
    }

    /** The head of a workflow file up to {@code nodes:}; the test appends its nodes, indented by four spaces. */
    public static String header(String name) {
        return """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: %s
                spec:
                  nodes:
                """.formatted(name);
    }
}
