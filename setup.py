"""Package definition. Runtime pins live in requirements/ (see the Makefile)."""

import setuptools

setuptools.setup(
    name="recsys-multiagent",
    version="0.1.0",
    description=("Large model + multi-agent recommendation on TensorFlow, TFRS, keras-hub, "
                 "TFX and Beam"),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11,<3.12",
    # The web app's page ships as data packages of their own (folders without __init__.py);
    # serving/deploy/ is for image builds, not the wheel.
    packages=setuptools.find_packages(
        include=["tfx_pipeline*", "rec_model*", "components*", "serving*"]
    ) + ["tfx_pipeline.ui.static", "tfx_pipeline.ui.static.vendor"],
    package_data={"serving": ["README.md"], "tfx_pipeline.ui.static": ["*.*"],
                  "tfx_pipeline.ui.static.vendor": ["*"]},
    entry_points={"console_scripts": ["recsys=tfx_pipeline.cli.main:console_main"]},
    license="Apache-2.0",
)
