"""Official data files: the manifest, and downloading them verified, resumable and converted."""

from nasbench_lab.official.download import FileResult, download, file_states, manual_instructions
from nasbench_lab.official.manifest import Manifest, OfficialFile, load_manifest
from nasbench_lab.official.store import UnverifiedFileWarning

__all__ = ["FileResult", "Manifest", "OfficialFile", "UnverifiedFileWarning", "download", "file_states",
           "load_manifest", "manual_instructions"]
