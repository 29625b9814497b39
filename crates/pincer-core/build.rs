fn main() {
    // The bundled skills are embedded; a file added to or removed from them must rebuild.
    println!("cargo:rerun-if-changed=../../skills");
}
