// How the enclave image starts its process: the Dockerfile's CMD and WORKDIR, the command the
// container group runs and the container policy fixes. One definition, checked against the Dockerfile.
export const ENCLAVE_COMMAND: readonly string[] = ["node", "enclave-app/src/runtime/main.ts"];
export const ENCLAVE_WORKING_DIR = "/app";
